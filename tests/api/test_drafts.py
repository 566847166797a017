"""Claims sent without a scan: drafts that wait for it, seen and completed by their sellers in the browser,
and listed on the import page. The program has no setting that makes scans optional: the form requires one."""

import io

from sqlalchemy import select

from portal.auth.models import User
from portal.claims.models import DRAFT, SUBMITTED, Claim
from portal.extensions import db
from tests.api.conftest import auth, sale

PDF = b"%PDF-1.4 invoice"


def seller_email(app, program):
    with app.app_context():
        return db.session.get(User, program.seller_id).email


def status_of(app, claim_id):
    with app.app_context():
        return db.session.get(Claim, claim_id).status


def test_an_api_draft_is_completed_by_its_seller_in_the_browser_and_reviewed(client, app, login, program,
                                                                           company_token):
    made = client.post("/api/v1/claims", json=sale("NOSCAN-1", number="СЧ-500"), headers=auth(company_token))
    claim = made.get_json()
    assert claim["status"] == DRAFT and claim["scan_required"] is True

    login(seller_email(app, program))
    listing = client.get("/claims").get_data(as_text=True)
    assert "СЧ-500" in listing and 'data-testid="awaiting-scan"' in listing
    detail = client.get(f"/claims/{claim['id']}").get_data(as_text=True)
    assert 'data-testid="attach-scan"' in detail and f"/claims/{claim['id']}/attach-scan" in detail

    not_a_scan = client.post(f"/claims/{claim['id']}/attach-scan", content_type="multipart/form-data",
                             data={"scan": (io.BytesIO(b"MZ not a pdf"), "x.exe")}, follow_redirects=True)
    assert not_a_scan.status_code == 200 and status_of(app, claim["id"]) == DRAFT
    nothing = client.post(f"/claims/{claim['id']}/attach-scan", data={}, follow_redirects=True)
    assert nothing.status_code == 200 and status_of(app, claim["id"]) == DRAFT

    done = client.post(f"/claims/{claim['id']}/attach-scan", content_type="multipart/form-data",
                       data={"scan": (io.BytesIO(PDF), "invoice.pdf")})
    assert done.status_code == 302 and status_of(app, claim["id"]) == SUBMITTED
    after = client.get("/claims").get_data(as_text=True)
    assert 'data-testid="awaiting-scan"' not in after
    scan = client.get(f"/claims/{claim['id']}/scan")
    assert scan.status_code == 200 and scan.get_data() == PDF
    scan.close()

    read = client.get(f"/api/v1/claims/{claim['id']}", headers=auth(company_token)).get_json()
    assert read["status"] == SUBMITTED and read["scan_required"] is False

    with app.app_context():
        manager = db.session.get(User, program.manager_id).email
    login(manager)
    queue = client.get("/console/claims").get_data(as_text=True)
    assert f"#{claim['id']}" in queue
    approved = client.post(f"/console/claims/{claim['id']}/approve")
    assert approved.status_code == 302 and status_of(app, claim["id"]) == "approved"


def test_only_the_seller_attaches_the_scan_of_their_draft(client, app, login, program, company_token):
    claim = client.post("/api/v1/claims", json=sale("NOSCAN-2"), headers=auth(company_token)).get_json()
    with app.app_context():
        admin = db.session.get(User, program.admin_id).email
    login(admin)  # the company's partner admin sees the draft, but it is the seller's to complete
    response = client.post(f"/claims/{claim['id']}/attach-scan", content_type="multipart/form-data",
                           data={"scan": (io.BytesIO(PDF), "invoice.pdf")}, follow_redirects=True)
    assert response.status_code in (200, 403)
    assert status_of(app, claim["id"]) == DRAFT
    with app.app_context():
        assert db.session.scalar(select(Claim.scan_path).where(Claim.id == claim["id"])) is None


def test_a_batch_and_the_import_page_say_which_claims_await_a_scan(client, app, login, program, company_token):
    import base64

    with_scan = sale("B-1", number="Б-1", scan={"filename": "i.pdf", "content_base64": base64.b64encode(PDF).decode()})
    batch = client.post("/api/v1/claims/batch", json={"claims": [with_scan, sale("B-2", number="Б-2")]},
                        headers=auth(company_token)).get_json()
    assert batch["awaiting_scan"] == 1
    assert [r["scan_required"] for r in batch["results"]] == [False, True]

    with app.app_context():
        admin = db.session.get(User, program.admin_id).email
    login(admin)
    page = client.get("/integrations/import").get_data(as_text=True)
    assert 'data-testid="awaiting-scan"' in page and "Б-2" in page and "Б-1" not in page
