"""The Stripe webhook: the only way an order becomes paid by card."""

from flask import Blueprint, current_app, jsonify, request

from portal.extensions import csrf, db
from portal.payments import services
from portal.shop import services as shop
from portal.shop.notifications import send_order_update

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
    order = None
    if event.type == "payment_intent.succeeded" and intent_id:
        order = shop.payment_succeeded(intent_id)
    elif event.type == "payment_intent.payment_failed" and intent_id:
        # The order keeps waiting for another card: nothing to mail (the participant is on the payment page,
        # and is told if the order is cancelled when its payment window ends).
        shop.payment_failed(intent_id)
    if order is not None:
        send_order_update(order)
    db.session.commit()
    current_app.logger.info("Stripe event %s %s handled", event.id, event.type)
    return jsonify(received=True)
