import base64
import io

from sqlalchemy import func, select

from portal.api.models import ClaimReference
from portal.claims.models import DRAFT, SUBMITTED, Claim
from portal.extensions import db
from tests.api.conftest import auth, sale

PDF = b"%PDF-1.4\nfake invoice"


def count_claims(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Claim.id)))


def test_a_claim_without_scan_waits_as_a_draft_and_the_scan_sends_it(client, app, company_token):
    response = client.post("/api/v1/claims", json=sale(), headers=auth(company_token))
    assert response.status_code == 201, response.get_json()
    claim = response.get_json()
    assert claim["status"] == DRAFT and claim["scan_required"] is True
    assert claim["external_id"] == "DOC-1" and claim["total_kopecks"] == 2 * 4_900_000 + 10 * 100_000
    assert [line["sku"] for line in claim["lines"]] == ["SPL-09", "PIPE"]

    upload = client.post(f"/api/v1/claims/{claim['id']}/scan", data={"scan": (io.BytesIO(PDF), "invoice.pdf")},
                         headers=auth(company_token), content_type="multipart/form-data")
    assert upload.status_code == 200, upload.get_json()
    assert upload.get_json()["status"] == SUBMITTED


def test_a_claim_with_its_scan_is_submitted_at_once(client, company_token):
    body = sale(scan={"filename": "invoice.pdf", "content_base64": base64.b64encode(PDF).decode()})
    response = client.post("/api/v1/claims", json=body, headers=auth(company_token))
    assert response.status_code == 201
    assert response.get_json()["status"] == SUBMITTED


def test_a_resent_document_returns_the_same_claim(client, app, company_token):
    first = client.post("/api/v1/claims", json=sale(), headers=auth(company_token))
    again = client.post("/api/v1/claims", json=sale(number="changed"), headers=auth(company_token))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert count_claims(app) == 1


def test_form_rules_apply_with_the_field_that_is_wrong(client, company_token):
    cases = [
        (sale(days_ago=400), "invoice_date"),
        (sale(days_ago=-3), "invoice_date"),
        (sale(lines=[{"sku": "NOPE", "quantity": 1, "unit_price_kopecks": 100}]), "lines.0.sku"),
        (sale(seller="stranger@x.test"), "seller_email"),
        (sale(customer_inn="1234567890"), "customer_inn"),
        (sale(lines=[]), "lines"),
        ({"external_id": "X"}, "seller_email"),
        (sale(external_id="   "), "external_id"),
        (sale(lines=[{"sku": "PIPE", "quantity": 1e309, "unit_price_kopecks": 100}]), "lines.0.quantity"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/claims", json=body, headers=auth(company_token))
        assert response.status_code == 422, (body, response.get_json())
        assert response.content_type == "application/problem+json"
        assert field in response.get_json()["errors"], response.get_json()


def test_a_batch_keeps_the_good_claims_and_reports_each_bad_one(client, app, company_token):
    items = [sale(f"D-{n}", number=f"N-{n}") for n in range(5)]
    items[1]["lines"][0]["sku"] = "UNKNOWN"
    items[3]["seller_email"] = "seller@b.test"  # another company's participant
    items.append(sale("D-0", number="repeat"))
    response = client.post("/api/v1/claims/batch", json={"claims": items}, headers=auth(company_token))
    assert response.status_code == 207, response.get_json()
    body = response.get_json()
    assert (body["created"], body["existing"], body["failed"]) == (3, 0, 3)
    results = {r["index"]: r for r in body["results"]}
    assert results[1]["result"] == "error" and "UNKNOWN" in results[1]["errors"]["lines.0.sku"][0]
    assert results[3]["result"] == "error" and "seller_email" in results[3]["errors"]
    assert results[5]["result"] == "error" and "external_id" in results[5]["errors"]
    assert all(results[i]["result"] == "created" and results[i]["claim_id"] for i in (0, 2, 4))
    assert count_claims(app) == 3
    with app.app_context():
        assert db.session.scalar(select(func.count(ClaimReference.id))) == 3

    again = client.post("/api/v1/claims/batch", json={"claims": items[:1]}, headers=auth(company_token)).get_json()
    assert again["results"][0]["result"] == "exists" and again["results"][0]["claim_id"] == results[0]["claim_id"]


def test_a_batch_above_500_is_refused(client, company_token):
    items = [sale(f"D-{n}") for n in range(501)]
    response = client.post("/api/v1/claims/batch", json={"claims": items}, headers=auth(company_token))
    assert response.status_code == 422 and "claims" in response.get_json()["errors"]


def test_list_and_read_claims_by_cursor_and_filters(client, company_token):
    for n in range(5):
        client.post("/api/v1/claims", json=sale(f"D-{n}", number=f"N-{n}"), headers=auth(company_token))
    first = client.get("/api/v1/claims?limit=2", headers=auth(company_token)).get_json()
    assert [c["external_id"] for c in first["items"]] == ["D-4", "D-3"]
    second = client.get(f"/api/v1/claims?limit=2&cursor={first['next_cursor']}", headers=auth(company_token))
    assert [c["external_id"] for c in second.get_json()["items"]] == ["D-2", "D-1"]
    found = client.get("/api/v1/claims?external_id=D-3", headers=auth(company_token)).get_json()
    assert [c["external_id"] for c in found["items"]] == ["D-3"]
    bad = client.get("/api/v1/claims?cursor=garbage", headers=auth(company_token))
    assert bad.status_code == 422 and "cursor" in bad.get_json()["errors"]


def test_a_draft_deleted_by_its_seller_frees_its_document_id(client, app, company_token, program):
    from portal.auth.models import User
    from portal.claims import services

    first = client.post("/api/v1/claims", json=sale(), headers=auth(company_token)).get_json()
    with app.app_context():
        services.delete_draft(db.session.get(Claim, first["id"]), db.session.get(User, program.seller_id))
        db.session.commit()
        assert db.session.scalar(select(func.count(ClaimReference.id))) == 0
    again = client.post("/api/v1/claims", json=sale(), headers=auth(company_token))
    assert again.status_code == 201 and count_claims(app) == 1
