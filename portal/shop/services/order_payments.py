"""The card part of orders: paying it, the payment webhooks, the payment window and its expiry job."""

import time
from datetime import timedelta

from flask import current_app
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal.auth.models import User
from portal.core.errors import DomainError, NotAllowed
from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.payments import services as payments
from portal.program.services import get_settings
from portal.shop.models import (
    AWAITING_PAYMENT,
    CANCELLED,
    PAID,
    Order,
    OrderEvent,
)
from portal.shop.notifications import send_order_update
from portal.shop.services.orders import _move, _release


def payment_deadline(order: Order):
    """Until when an order awaiting payment waits for its card part (the program's payment timeout after it was
    placed); a declined card may be replaced by another until then. Stored moment, naive UTC."""
    return order.created_at + timedelta(minutes=get_settings().payment_timeout_minutes)


class PaymentWindowOver(DomainError):
    def __init__(self):
        super().__init__(_l("The time to pay for this order ran out: the order is cancelled and your points are "
                            "back."))


def _lock_order(order: Order) -> None:
    """Hold the order's row until the transaction ends (SQLite: its write lock), then read it again: two payment
    attempts on one order, or an attempt and the expiry job, take turns."""
    db.session.execute(update(Order).where(Order.id == order.id).values(updated_at=Order.updated_at)
                       .execution_options(synchronize_session=False))
    db.session.refresh(order)


def pay_order(order: Order, user: User, card_token: str) -> str:
    """Charge the card part of an order awaiting payment. Returns the payment intent's status.

    A declined card leaves the order waiting, its points and stock still held: the participant may try another
    card until the payment window ends (payment_deadline), after which the order is cancelled. An attempt still
    in progress (3-D Secure, a charge whose webhook has not come yet) is answered with its status instead of
    charging again."""
    if order.user_id != user.id:
        raise NotAllowed(_l("This is not your order."))
    ledger.lock_participant(order.user_id)  # first, as the expiry job and the webhooks take them: no deadlock
    _lock_order(order)
    if order.status != AWAITING_PAYMENT:
        raise DomainError(_l("This order is not awaiting payment."))
    if utcnow() >= payment_deadline(order):
        _cancel_unpaid(order, note="payment not completed in time")
        raise PaymentWindowOver()
    attempts = payments.payments_for(order.id)
    current = next((p for p in attempts if p.status == "created"), None)
    if current is not None:
        status = payments.intent_status(current)
        if status not in ("requires_payment_method", "canceled"):
            return status  # still going: the browser goes on with it
        _record_decline(order, current, note="card payment failed")  # it did not go through: a new attempt
    try:
        _payment, status = payments.charge_card(order.id, order.card_kopecks, card_token, attempt=len(attempts) + 1)
    except payments.CardDeclined as exc:
        _record_decline(order, payments.payment_for(order.id), note="card declined")
        raise payments.CardDeclined(_l(
            "%(reason)s The order waits for payment until %(deadline)s: your points and the prizes stay reserved "
            "until then.", reason=exc.message, deadline=format_datetime(payment_deadline(order), "short"))) from exc
    return status


def _record_decline(order: Order, payment, note: str) -> bool:
    """An attempt did not go through: it is closed as failed and the order's history says so, once per attempt.
    The order keeps waiting for another card. False when there was nothing left to record."""
    if payment is not None:
        if payment.status != "created":
            return False
        payment.status = "failed"
    if order.status == AWAITING_PAYMENT:
        db.session.add(OrderEvent(order_id=order.id, status=AWAITING_PAYMENT, note=note))
    db.session.flush()
    return True


def _cancel_unpaid(order: Order, note: str) -> None:
    """The payment window is over: the order is cancelled and gives back its held points and stock, once (the
    state moves by compare-and-set, so a second caller finds it cancelled already)."""
    if order.status == AWAITING_PAYMENT:
        system = db.session.get(User, order.user_id)
        _move(order, CANCELLED, system, note=note, cancel_reason=note)
        _release(order, None, note)


def _locked_payment(intent_id: str):
    """The payment of a webhook's intent and its order, read again under the participant's lock (the lock order
    of paying, the job and the webhooks alike); (None, None) for an intent we do not know."""
    payment = payments.payment_by_intent(intent_id)
    if payment is None:
        return None, None
    order = db.session.get(Order, payment.order_id)
    ledger.lock_participant(order.user_id)
    db.session.refresh(order)
    db.session.refresh(payment)
    return payment, order


def payment_succeeded(intent_id: str) -> Order | None:
    """The verified webhook says the card part is paid: the held points are spent and the order is paid.
    A late success for an order already cancelled (abandoned), or already paid by another attempt, is refunded."""
    payment, order = _locked_payment(intent_id)
    if payment is None:
        return None
    if payment.status in ("succeeded", "refunded"):
        return order  # already handled
    payment.status = "succeeded"
    if order.status == AWAITING_PAYMENT:
        hold = ledger.find_transaction(f"order:{order.id}:hold")
        if hold is not None:
            ledger.capture_hold(hold, key=f"order:{order.id}:capture")
        _move(order, PAID, db.session.get(User, order.user_id), note="card")
    else:
        payments.refund(payment)
    db.session.flush()
    return order


def payment_failed(intent_id: str) -> Order | None:
    """The verified webhook says an attempt failed (a declined charge, 3-D Secure not passed): the attempt is
    closed and the order keeps waiting for another card. Stripe may report a decline the charge call already
    reported, or deliver the event twice: the second report changes nothing. Returns the order when its history
    changed."""
    payment, order = _locked_payment(intent_id)
    if payment is None:
        return None
    changed = _record_decline(order, payment, note="card payment failed")
    db.session.flush()
    return order if changed else None


def expire_unpaid_orders(now=None) -> int:
    """The job for unpaid card orders: orders awaiting payment past their payment window are cancelled and release
    their points and stock, exactly once."""
    now = now or utcnow()
    limit = now - timedelta(minutes=get_settings().payment_timeout_minutes)
    expired = 0
    for order_id in db.session.scalars(
        select(Order.id).where(Order.status == AWAITING_PAYMENT, Order.created_at <= limit).order_by(Order.id)
    ).all():
        order = db.session.get(Order, order_id)
        ledger.lock_participant(order.user_id)
        db.session.refresh(order)
        if order.status == AWAITING_PAYMENT:
            _cancel_unpaid(order, note="payment not completed in time")
            send_order_update(order)  # the participant may have left the payment page long ago
            expired += 1
        db.session.commit()
    return expired


_last_release = {"at": float("-inf")}


def release_abandoned_checkouts() -> int:
    """Run the abandoned-checkout job now and then while people read shop pages: the demo (`make run`) has no
    worker, and held points must come back on time anyway. At most once a minute per process
    (ABANDONED_CHECKOUT_SWEEP_SECONDS); the job itself is idempotent, so the worker running it too is harmless."""
    interval = current_app.config.get("ABANDONED_CHECKOUT_SWEEP_SECONDS", 60)
    now = time.monotonic()
    if now - _last_release["at"] < interval:
        return 0
    _last_release["at"] = now
    db.session.commit()  # the job commits order by order: start it from a clean transaction
    return expire_unpaid_orders()
