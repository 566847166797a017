"""The Stripe webhook: the only way an order becomes paid by card."""

from flask import Blueprint, current_app, jsonify, request

from portal.core import events
from portal.extensions import csrf, db
from portal.payments import services

bp = Blueprint("payments", __name__)


@bp.post("/payments/webhook")
@csrf.exempt  # Stripe signs the request instead; the signature is checked over the raw body
def webhook():
    try:
        event = services.verified_event(request.get_data(), request.headers.get("Stripe-Signature"))
    except services.BadSignature:
        return jsonify(error="bad signature"), 400
    except services.BadEvent:
        return jsonify(error="malformed event"), 400
    if not services.first_delivery(event.id, event.type):
        return jsonify(received=True, duplicate=True)
    intent_id = event.object.get("id", "")
    # The shop reacts (shop/events.py): payments knows no orders, only payment intents.
    if event.type == "payment_intent.succeeded" and intent_id:
        events.card_payment_succeeded.send(intent_id)
    elif event.type == "payment_intent.payment_failed" and intent_id:
        events.card_payment_failed.send(intent_id)
    db.session.commit()
    current_app.logger.info("Stripe event %s %s handled", event.id, event.type)
    return jsonify(received=True)
