"""Program-wide keys: the review queue, decisions with reasons, participants, statements and orders."""

import base64

from sqlalchemy import select

from portal.claims.models import APPROVED, REJECTED, SUBMITTED, Claim
from portal.extensions import db
from tests.api.conftest import auth, sale

PDF = base64.b64encode(b"%PDF-1.4 invoice").decode()


def submitted_claim(client, company_token, external_id="Q-1"):
    body = sale(external_id, scan={"filename": "i.pdf", "content_base64": PDF})
    response = client.post("/api/v1/claims", json=body, headers=auth(company_token))
    assert response.get_json()["status"] == SUBMITTED
    return response.get_json()["id"]


def test_queue_approve_and_reject(client, app, company_token, program_token, mailbox):
    first = submitted_claim(client, company_token, "Q-1")
    second = submitted_claim(client, company_token, "Q-2")
    queue = client.get("/api/v1/queue", headers=auth(program_token)).get_json()
    assert [c["id"] for c in queue["items"]] == [first, second]

    approved = client.post(f"/api/v1/claims/{first}/approve", headers=auth(program_token))
    assert approved.status_code == 200 and approved.get_json()["status"] == APPROVED
    assert approved.get_json()["points"] == 12 * 100 and approved.get_json()["awards"][0]["points"] == 1200
    again = client.post(f"/api/v1/claims/{first}/approve", headers=auth(program_token))
    assert again.status_code == 409  # decided once only; the problem says how it stands
    assert again.get_json()["current_status"] == APPROVED and f"№{first} — одобрена" in again.get_json()["detail"]
    documented = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Problem"]["properties"]
    assert set(again.get_json()) <= set(documented)

    no_reason = client.post(f"/api/v1/claims/{second}/reject", json={"reason": "  "}, headers=auth(program_token))
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    rejected = client.post(f"/api/v1/claims/{second}/reject", json={"reason": "Нет подписи"},
                           headers=auth(program_token))
    assert rejected.get_json()["status"] == REJECTED and rejected.get_json()["rejection_reason"] == "Нет подписи"
    assert client.get("/api/v1/queue", headers=auth(program_token)).get_json()["items"] == []
    with app.app_context():
        assert {c.status for c in db.session.scalars(select(Claim))} == {APPROVED, REJECTED}

    own = client.get(f"/api/v1/claims/{first}", headers=auth(company_token)).get_json()
    assert own["status"] == APPROVED and own["points"] == 1200


def test_participants_balances_and_statements_by_cursor(client, company_token, program_token, program):
    claim_id = submitted_claim(client, company_token)
    client.post(f"/api/v1/claims/{claim_id}/approve", headers=auth(program_token))
    people = client.get("/api/v1/participants", headers=auth(company_token)).get_json()["items"]
    seller = next(p for p in people if p["id"] == program.seller_id)
    assert seller["balance"]["available"] == 1200
    assert program.other_seller_id not in [p["id"] for p in people]
    statement = client.get(f"/api/v1/participants/{program.seller_id}/statement?limit=1",
                           headers=auth(company_token)).get_json()
    assert statement["items"][0]["points"] == 1200 and statement["balance"]["available"] == 1200
    everyone = client.get(f"/api/v1/participants?company_id={program.other_company_id}",
                          headers=auth(program_token)).get_json()["items"]
    assert [p["id"] for p in everyone] == [program.other_seller_id]


def test_orders_and_products(client, app, program_token, company_token):
    products = client.get("/api/v1/products", headers=auth(company_token)).get_json()["items"]
    assert {p["sku"] for p in products} == {"SPL-09", "PIPE"} and "cost_kopecks" not in products[0]
    orders = client.get("/api/v1/orders", headers=auth(program_token))
    assert orders.status_code == 200 and orders.get_json() == {"items": [], "next_cursor": None}
    assert client.get("/api/v1/orders/1", headers=auth(program_token)).status_code == 404


def test_orders_with_their_states_and_lines(client, app, program, program_token):
    from portal.auth.models import User
    from portal.ledger import services as ledger
    from portal.shop import services as shop
    from tests.shop import factories as shop_factories

    with app.app_context():
        seller = db.session.get(User, program.seller_id)
        ledger.earn(seller.id, 2000, key="gift", source_type="adjustment")
        prize = shop_factories.prize(points=500)
        shop.add_to_cart(seller, prize, 2)
        order = shop.place_order(seller, request_token="t1", delivery=shop_factories.delivery())
        db.session.commit()
        order_id = order.id
    listed = client.get("/api/v1/orders?status=placed", headers=auth(program_token)).get_json()["items"]
    assert [(o["id"], o["points"], o["lines"][0]["quantity"]) for o in listed] == [(order_id, 1000, 2)]
    one = client.get(f"/api/v1/orders/{order_id}", headers=auth(program_token)).get_json()
    assert one["participant_id"] == program.seller_id and one["status"] == "placed"
    assert client.get("/api/v1/orders?status=shipped", headers=auth(program_token)).get_json()["items"] == []
