"""Stripe: the only module that imports `stripe`. Payment intents, refunds and verified webhooks."""

import json
from dataclasses import dataclass

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.core.errors import DomainError
from portal.core.sql import insert_ignoring_duplicates
from portal.extensions import db
from portal.payments.models import Payment, WebhookEvent


class PaymentUnavailable(DomainError):
    def __init__(self):
        super().__init__(_l("Card payment is not available right now. Try again later or pay with points only."))


def _client() -> stripe.StripeClient:
    config = current_app.config
    base = config["STRIPE_API_BASE"]
    options = {"base_addresses": {"api": base}} if base else {}
    return stripe.StripeClient(config["STRIPE_SECRET_KEY"], max_network_retries=1, **options)


class CardDeclined(DomainError):
    def __init__(self, message=None):
        super().__init__(message or _l("The bank declined the card. Try another card or ask your bank."))


def charge_card(order_id: int, amount_kopecks: int, card_token: str, attempt: int = 1) -> tuple[Payment, str]:
    """Charge the card part of an order: the browser's Stripe.js turned the card into a token (the card
    number never reaches us); a PaymentIntent for the amount in kopecks, RUB, the order id in its metadata,
    is created and confirmed. Returns the payment and the intent's status: `succeeded`, or `requires_action`
    when the bank wants 3-D Secure, which the browser completes with the intent's client secret.

    The order becomes paid only when the verified webhook says so, never on this answer alone. Each attempt
    (`attempt`: 1, 2, ... for the order) is an intent of its own, so another card after a decline is a new charge.
    A declined card raises CardDeclined; its attempt, if one was made, is left `created` for the caller to close."""
    client = _client()
    try:
        customer = client.v1.customers.create(params={"source": card_token, "metadata": {"order_id": str(order_id)}})
        intent = client.v1.payment_intents.create(
            params={"amount": amount_kopecks, "currency": "rub", "customer": customer.id,
                    "payment_method": customer.default_source, "payment_method_types": ["card"],
                    "metadata": {"order_id": str(order_id)}},
            options={"idempotency_key": f"order-{order_id}-intent" + (f"-{attempt}" if attempt > 1 else "")},
        )
        payment = Payment(order_id=order_id, intent_id=intent.id, client_secret=intent.client_secret,
                          amount_kopecks=amount_kopecks, status="created")
        db.session.add(payment)
        db.session.flush()
        intent = client.v1.payment_intents.confirm(intent.id)
    except stripe.CardError as exc:
        raise CardDeclined() from exc
    except stripe.StripeError as exc:
        current_app.logger.warning("Stripe refused the payment of order %s: %s", order_id, exc)
        raise PaymentUnavailable() from exc
    return payment, intent.status


def payment_for(order_id: int) -> Payment | None:
    """The order's latest payment attempt."""
    return db.session.scalar(select(Payment).where(Payment.order_id == order_id)
                             .order_by(Payment.id.desc()).limit(1))


def payments_for(order_id: int) -> list[Payment]:
    """Every attempt to pay the order, first first."""
    return list(db.session.scalars(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)))


def intent_status(payment: Payment) -> str:
    """What Stripe says of the attempt's intent now: `succeeded`, `processing`, `requires_action`, or
    `requires_payment_method` / `canceled` when it did not go through."""
    try:
        return _client().v1.payment_intents.retrieve(payment.intent_id).status
    except stripe.StripeError as exc:
        current_app.logger.warning("Could not read %s at Stripe: %s", payment.intent_id, exc)
        raise PaymentUnavailable() from exc


def payment_by_intent(intent_id: str) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.intent_id == intent_id))


def refund(payment: Payment) -> None:
    """Give the card part back, once: a refund already made is never made again."""
    if payment.refund_id or payment.status != "succeeded":
        return
    try:
        result = _client().v1.refunds.create(
            params={"payment_intent": payment.intent_id, "amount": payment.amount_kopecks},
            options={"idempotency_key": f"refund-{payment.intent_id}"},
        )
    except stripe.StripeError as exc:
        current_app.logger.warning("Stripe refused a refund of %s: %s", payment.intent_id, exc)
        raise DomainError(_l("The card refund failed: try again later.")) from exc
    payment.refund_id = result.id
    payment.status = "refunded"
    db.session.flush()


def cancel_intent(payment: Payment) -> None:
    """Stop an unpaid intent (an abandoned checkout). Best effort: the order is released either way."""
    if payment.status != "created":
        return
    try:
        _client().v1.payment_intents.cancel(payment.intent_id)
    except stripe.StripeError as exc:
        current_app.logger.info("Could not cancel %s at Stripe: %s", payment.intent_id, exc)
    payment.status = "canceled"
    db.session.flush()


class BadSignature(Exception):
    pass


class BadEvent(Exception):
    """A correctly signed event that is not shaped like a Stripe event (no id, type or data object)."""


@dataclass(frozen=True)
class WebhookEventData:
    id: str
    type: str
    object: dict


def verified_event(payload: bytes, signature: str | None) -> WebhookEventData:
    """The event in a webhook request, only if its signature over the raw body checks out and it has the
    parts we read (a signed body is trusted to be from Stripe, not to be well formed)."""
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature or "",
                                              current_app.config["STRIPE_WEBHOOK_SECRET"],
                                              stripe.Webhook.DEFAULT_TOLERANCE)
        event = json.loads(payload)
    except (ValueError, stripe.SignatureVerificationError) as exc:  # UnicodeDecodeError is a ValueError
        raise BadSignature(str(exc)) from exc
    if not isinstance(event, dict):
        raise BadEvent("the event is not an object")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    event_id, event_type = event.get("id"), event.get("type")
    if not (isinstance(event_id, str) and 0 < len(event_id) <= 100 and isinstance(event_type, str)
            and 0 < len(event_type) <= 60 and isinstance(obj, dict) and isinstance(obj.get("id", ""), str)):
        raise BadEvent("the event has no id, type or data.object")
    return WebhookEventData(id=event_id, type=event_type, object=obj)


def first_delivery(event_id: str, event_type: str) -> bool:
    """Record the event; False when it was handled before (Stripe may deliver an event more than once)."""
    before = db.session.scalar(select(WebhookEvent.id).where(WebhookEvent.event_id == event_id))
    if before is not None:
        return False
    insert_ignoring_duplicates(WebhookEvent, [{"event_id": event_id, "type": event_type}], ["event_id"])
    return True
