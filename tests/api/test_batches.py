"""Batches of claims and leads: each item on its own (207 Multi-Status), savepoints, replays, the limits."""

from sqlalchemy import func, select

from portal.api.models import ClaimReference, LeadReference
from portal.claims.models import DRAFT, Claim
from portal.core.inn import make_inn
from portal.extensions import db
from portal.leads.models import SUBMITTED, Lead
from tests.api.conftest import auth, sale
from tests.api.test_leads import channel_id, lead  # noqa: F401 - the fixture


def count(app, column) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(column)))


def test_500_claims_with_3_bad_ones_keep_497_and_answer_each(client, app, company_token):
    items = [sale(f"D-{n}", number=f"N-{n}") for n in range(500)]
    items[7]["lines"][0]["quantity"] = "many"  # fails the schema
    items[250]["lines"][1]["sku"] = "NO-SUCH-SKU"  # fails the service, after the item's first line was checked
    items[499] = {"external_id": "D-499", "seller_email": "not an e-mail"}
    response = client.post("/api/v1/claims/batch", json={"claims": items}, headers=auth(company_token))
    assert response.status_code == 207, response.get_json()
    body = response.get_json()
    assert (body["created"], body["existing"], body["failed"]) == (497, 0, 3)
    results = body["results"]
    assert [r["index"] for r in results] == list(range(500))
    assert {r["index"] for r in results if r["status"] == 422} == {7, 250, 499}
    assert "lines.0.quantity" in results[7]["errors"]
    assert "NO-SUCH-SKU" in results[250]["errors"]["lines.1.sku"][0]
    assert {"seller_email", "invoice_number", "lines"} <= set(results[499]["errors"])
    good = results[0]
    assert good["status"] == 201 and good["result"] == "created" and good["external_id"] == "D-0"
    assert good["claim"]["id"] == good["id"] == good["claim_id"] and good["claim"]["status"] == DRAFT
    assert results[7]["claim"] is None and results[7]["id"] is None
    assert count(app, Claim.id) == count(app, ClaimReference.id) == 497
    with app.app_context():  # the failing item left nothing behind, not even its lines' claim
        assert db.session.scalar(select(Claim.id).where(Claim.invoice_number == "N-250")) is None


def test_a_batch_where_all_items_succeed_answers_200(client, company_token):
    items = [sale(f"D-{n}", number=f"N-{n}") for n in range(3)]
    first = client.post("/api/v1/claims/batch", json={"claims": items}, headers=auth(company_token))
    assert first.status_code == 200 and first.get_json()["created"] == 3
    again = client.post("/api/v1/claims/batch", json={"claims": items}, headers=auth(company_token))
    assert again.status_code == 200
    assert [r["status"] for r in again.get_json()["results"]] == [200, 200, 200]
    assert [r["result"] for r in again.get_json()["results"]] == ["exists"] * 3


def test_an_idempotency_key_replays_the_whole_partial_batch(client, app, company_token):
    items = [sale("R-1", number="R-1"), sale("R-2", seller="nobody@x.test")]
    headers = auth(company_token, **{"Idempotency-Key": "batch-1"})
    first = client.post("/api/v1/claims/batch", json={"claims": items}, headers=headers)
    again = client.post("/api/v1/claims/batch", json={"claims": items}, headers=headers)
    assert first.status_code == again.status_code == 207
    assert again.get_data() == first.get_data() and again.headers["Idempotent-Replayed"] == "true"
    assert count(app, Claim.id) == 1


def test_the_envelope_refuses_the_whole_batch(client, app, company_token):
    cases = [{"claims": [sale(f"D-{n}") for n in range(501)]}, {"claims": "not a list"}, {"claims": []}, {},
             {"claims": [sale()], "extra": 1}, [sale()]]
    for body in cases:
        response = client.post("/api/v1/claims/batch", json=body, headers=auth(company_token))
        assert response.status_code == 422, (body, response.get_json())
        assert response.content_type == "application/problem+json"
    too_many = client.post("/api/v1/claims/batch", json=cases[0], headers=auth(company_token)).get_json()
    assert "500" in too_many["errors"]["claims"][0]
    assert count(app, Claim.id) == 0


def test_items_that_are_not_objects_and_repeated_ids_fail_alone(client, app, company_token):
    items = [sale("A"), 42, sale("A", number="again"), None]
    body = client.post("/api/v1/claims/batch", json={"claims": items}, headers=auth(company_token)).get_json()
    assert [r["status"] for r in body["results"]] == [201, 422, 422, 422]
    assert "external_id" in body["results"][2]["errors"]
    assert body["results"][1]["errors"]["_request"]
    assert count(app, Claim.id) == 1


def test_a_claim_over_the_line_limit_is_refused_before_its_lines_are_read(client, company_token):
    body = sale(lines=[{"sku": "PIPE", "quantity": 1, "unit_price_kopecks": 100}] * 200_000)
    response = client.post("/api/v1/claims", json=body, headers=auth(company_token))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert list(errors) == ["lines"] and "50" in errors["lines"][0]
    batch = client.post("/api/v1/claims/batch", json={"claims": [sale("OK"), body]}, headers=auth(company_token))
    assert batch.status_code == 207
    assert [r["status"] for r in batch.get_json()["results"]] == [201, 422]
    assert list(batch.get_json()["results"][1]["errors"]) == ["lines"]


def test_a_batch_of_leads_keeps_the_good_ones(client, app, company_token, channel_id):  # noqa: F811
    items = [lead(f"L-{n}", channel=channel_id, inn=make_inn(f"77071234{n}"), customer_name=f"ООО «Клиент {n}»",
                  contact_phone=f"+7 916 123-45-6{n}", contact_email=f"buyer@client{n}.ru") for n in range(4)]
    items[1]["estimated_kopecks"] = -5
    items[2]["participant_email"] = "stranger@x.test"
    response = client.post("/api/v1/leads/batch", json={"leads": items}, headers=auth(company_token))
    assert response.status_code == 207, response.get_json()
    body = response.get_json()
    assert (body["created"], body["existing"], body["failed"]) == (2, 0, 2)
    results = body["results"]
    assert [r["status"] for r in results] == [201, 422, 422, 201]
    assert "estimated_kopecks" in results[1]["errors"] and "participant_email" in results[2]["errors"]
    assert results[0]["lead"]["status"] == SUBMITTED and results[0]["lead"]["external_id"] == "L-0"
    assert count(app, Lead.id) == count(app, LeadReference.id) == 2
    again = client.post("/api/v1/leads/batch", json={"leads": items[:1]}, headers=auth(company_token))
    assert again.status_code == 200 and again.get_json()["results"][0]["id"] == results[0]["id"]


def test_an_item_whose_id_the_database_cannot_store_fails_alone(client, app, company_token):
    items = [sale("GOOD"), sale("BAD\x00ID"), sale("x" * 101)]
    response = client.post("/api/v1/claims/batch", json={"claims": items}, headers=auth(company_token))
    assert response.status_code == 207, response.get_data(as_text=True)[:300]
    assert [r["status"] for r in response.get_json()["results"]] == [201, 422, 422]
    assert count(app, Claim.id) == 1
