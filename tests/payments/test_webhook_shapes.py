"""A correctly signed webhook body is trusted to come from Stripe, not to be well formed."""

import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.payments.models import WebhookEvent


def signed(body) -> tuple[str, str]:
    payload = body if isinstance(body, str) else json.dumps(body)
    stamp = int(time.time())
    signature = hmac.new(b"whsec_local", f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return payload, f"t={stamp},v1={signature}"


@pytest.mark.parametrize("body", [
    {"id": "evt_1", "object": "event", "type": "payment_intent.succeeded"},
    {"id": "evt_1", "object": "event", "type": "payment_intent.succeeded", "data": None},
    {"id": "evt_1", "object": "event", "type": "payment_intent.succeeded", "data": {}},
    {"id": "evt_1", "object": "event", "type": "payment_intent.succeeded", "data": {"object": "pi_1"}},
    {"id": "evt_1", "object": "event", "type": "payment_intent.payment_failed", "data": {"object": {"id": 5}}},
    {"id": 7, "object": "event", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1"}}},
    {"id": "e" * 300, "object": "event", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1"}}},
    {"object": "event", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1"}}},
    {"id": "evt_1", "object": "event", "data": {"object": {"id": "pi_1"}}},
    [1, 2, 3],
])
def test_a_signed_event_without_its_parts_is_a_400(app, client, body):
    payload, signature = signed(body)
    response = client.post("/payments/webhook", data=payload, headers={"Stripe-Signature": signature},
                           content_type="application/json")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0


def test_an_unknown_intent_is_received_and_ignored(app, client):
    payload, signature = signed({"id": "evt_2", "object": "event", "type": "payment_intent.succeeded",
                                 "data": {"object": {"id": "pi_nobody", "object": "payment_intent"}}})
    response = client.post("/payments/webhook", data=payload, headers={"Stripe-Signature": signature},
                           content_type="application/json")
    assert response.status_code == 200 and response.get_json()["received"] is True
