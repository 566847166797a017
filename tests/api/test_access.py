"""Scopes, isolation between companies, languages, and the HTML app left as it was."""

import io

import pytest

from portal.auth.models import PARTNER_ADMIN
from tests import factories
from tests.api.conftest import auth, sale


@pytest.fixture
def two_companies(client, program, make_key):
    """A claim in each company; keys for both."""
    token_a = make_key(program.admin_id)

    with client.application.app_context():
        from portal.extensions import db
        from portal.partners.models import PartnerCompany

        other = db.session.get(PartnerCompany, program.other_company_id)
    admin_b = factories.user(role=PARTNER_ADMIN, company=other)
    token_b = make_key(admin_b.id)
    claim_a = client.post("/api/v1/claims", json=sale("SAME"), headers=auth(token_a)).get_json()
    claim_b = client.post("/api/v1/claims", json=sale("SAME", seller="seller@b.test"), headers=auth(token_b)).get_json()
    assert claim_a["id"] != claim_b["id"]  # a document id is unique per company, not globally
    return token_a, token_b, claim_a, claim_b


def test_company_a_reads_nothing_of_company_b(client, program, two_companies):
    token_a, _token_b, claim_a, claim_b = two_companies
    assert client.get(f"/api/v1/claims/{claim_b['id']}", headers=auth(token_a)).status_code == 404
    listed = client.get(f"/api/v1/claims?company_id={program.other_company_id}", headers=auth(token_a)).get_json()
    assert [c["id"] for c in listed["items"]] == [claim_a["id"]]
    by_id = client.get("/api/v1/claims?external_id=SAME", headers=auth(token_a)).get_json()
    assert [c["id"] for c in by_id["items"]] == [claim_a["id"]]
    people = client.get(f"/api/v1/participants?company_id={program.other_company_id}", headers=auth(token_a))
    assert program.other_seller_id not in [p["id"] for p in people.get_json()["items"]]
    assert client.get(f"/api/v1/participants/{program.other_seller_id}", headers=auth(token_a)).status_code == 404
    statement = client.get(f"/api/v1/participants/{program.other_seller_id}/statement", headers=auth(token_a))
    assert statement.status_code == 404
    scan = client.post(f"/api/v1/claims/{claim_b['id']}/scan", headers=auth(token_a),
                       data={"scan": (io.BytesIO(b"%PDF-1"), "a.pdf")}, content_type="multipart/form-data")
    assert scan.status_code == 404


def test_scopes_are_enforced(client, program, make_key):
    reader = make_key(program.admin_id, ["catalogue:read"])
    assert client.get("/api/v1/products", headers=auth(reader)).status_code == 200
    for method, url in [("get", "/api/v1/claims"), ("post", "/api/v1/claims"), ("get", "/api/v1/participants"),
                        ("get", "/api/v1/queue"), ("get", "/api/v1/orders"), ("post", "/api/v1/claims/1/approve")]:
        response = getattr(client, method)(url, headers=auth(reader), json=sale())
        assert response.status_code == 403, (url, response.get_json())
    company = make_key(program.admin_id)
    for url in ("/api/v1/queue", "/api/v1/orders"):
        assert client.get(url, headers=auth(company)).status_code == 403
    assert client.post("/api/v1/claims/1/approve", headers=auth(company)).status_code == 403
    staff = make_key(program.manager_id)
    assert client.post("/api/v1/claims", json=sale(), headers=auth(staff)).status_code == 403
    assert client.post("/api/v1/claims", json={}, headers=auth(staff)).status_code == 403  # before the body
    assert client.get("/api/v1/products", headers=auth(staff)).status_code == 403


def test_errors_in_russian_by_default_and_in_english_on_request(client, company_token):
    body = sale(days_ago=400)
    russian = client.post("/api/v1/claims", json=body, headers=auth(company_token)).get_json()
    english = client.post("/api/v1/claims", json=body, headers=auth(company_token, **{"Accept-Language": "en"}))
    assert english.headers["Content-Language"] == "en"
    english = english.get_json()
    assert english["title"] == "Invalid request" and russian["title"] != english["title"]
    assert "cannot be claimed" in english["errors"]["invoice_date"][0]
    assert "дней" in russian["errors"]["invoice_date"][0]
    missing = client.post("/api/v1/claims", json={}, headers=auth(company_token)).get_json()
    assert missing["errors"]["external_id"] == ["Обязательное поле."]
    missing_en = client.post("/api/v1/claims", json={}, headers=auth(company_token, **{"Accept-Language": "en-GB"}))
    assert missing_en.get_json()["errors"]["external_id"] == ["This field is required."]


@pytest.mark.parametrize("url", ["/api/v1/claims/99999999999999999999999", "/api/v1/claims/0",
                                 "/api/v1/nowhere", "/api/v1/participants/9999999999999/statement",
                                 "/api/v1/orders/123456789012345678901234567890"])
def test_no_html_and_no_500_from_api(client, program_token, url):
    response = client.get(url, headers=auth(program_token))
    assert response.status_code == 404 and response.content_type == "application/problem+json"


def test_bad_bodies_and_methods_get_problems(client, company_token):
    cases = [
        client.post("/api/v1/claims", data="{not json", headers=auth(company_token), content_type="application/json"),
        client.post("/api/v1/claims", data="x" * 10_000, headers=auth(company_token), content_type="text/plain"),
        client.delete("/api/v1/claims", headers=auth(company_token)),
        client.get("/api/v1/claims?limit=1e309", headers=auth(company_token)),
        client.get("/api/v1/claims?limit=NaN&status=x", headers=auth(company_token)),
        client.post("/api/v1/claims", json=[1, 2], headers=auth(company_token)),
    ]
    for response in cases:
        assert 400 <= response.status_code < 500, response.get_data(as_text=True)
        assert response.content_type == "application/problem+json"


def test_the_html_app_keeps_its_pages_and_csrf(app, client):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.content_type.startswith("text/html")
    assert client.get("/api/v1/docs").status_code == 200
    docs = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    with client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200
