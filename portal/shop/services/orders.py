"""Orders and stock: fulfilment by the program team, cancelling (what an order gives back), stock changes,
order lists."""


from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from portal.auth.models import STAFF_ROLES, User
from portal.core.errors import DomainError, NotAllowed
from portal.core.fields import as_id
from portal.core.sql import compare_and_set, lower_text
from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.payments import services as payments
from portal.shop.models import (
    APPROVED,
    CANCELLABLE_BY_PARTICIPANT,
    CANCELLED,
    DELIVERED,
    PAID,
    PLACED,
    SHIPPED,
    STATUS_LABELS,
    TRANSITIONS,
    Order,
    OrderEvent,
    OrderLine,
    Prize,
    StockMovement,
)


def _move(order: Order, target: str, actor: User, note: str | None = None, **values) -> None:
    if target not in TRANSITIONS[order.status]:
        raise DomainError(_l("Order #%(id)s is %(status)s: it cannot become %(target)s.", id=order.id,
                             status=str(STATUS_LABELS[order.status]).lower(),
                             target=str(STATUS_LABELS[target]).lower()))
    if not compare_and_set(order, "status", order.status, status=target, updated_at=utcnow(), **values):
        raise DomainError(_l("Order #%(id)s was changed by someone else: reload the page.", id=order.id))
    db.session.add(OrderEvent(order_id=order.id, status=target, actor_id=actor.id, note=note))
    db.session.flush()


def _require_staff(actor: User) -> None:
    if actor.role not in STAFF_ROLES:
        raise NotAllowed(_l("Only the program team fulfils orders."))


def approve_order(order: Order, actor: User) -> None:
    _require_staff(actor)
    _move(order, APPROVED, actor)


def ship_order(order: Order, actor: User, tracking_number: str = "") -> None:
    _require_staff(actor)
    tracking = (tracking_number or "").strip()[:100] or None
    _move(order, SHIPPED, actor, note=tracking, tracking_number=tracking)


def deliver_order(order: Order, actor: User) -> None:
    _require_staff(actor)
    _move(order, DELIVERED, actor)


def cancel_order(order: Order, actor: User, reason: str = "") -> None:
    """Cancel an order: the points go back to the same lots and the stock is returned, once."""
    reason = (reason or "").strip()
    if actor.role in STAFF_ROLES:
        if not reason:
            raise DomainError(_l("Say why the order is cancelled: the participant will see it."), field="reason")
    elif order.user_id != actor.id:
        raise NotAllowed(_l("This is not your order."))
    elif order.status not in CANCELLABLE_BY_PARTICIPANT:
        raise DomainError(_l("The order is already approved: ask the program team to cancel it."))
    _move(order, CANCELLED, actor, note=reason or None, cancel_reason=reason or None)
    _release(order, actor.id, reason or None)


def _release(order: Order, actor_id: int | None, reason: str | None) -> None:
    """Give back what a cancelled order took: points (to the same lots), the card payment, the stock."""
    spent = ledger.find_transaction(f"order:{order.id}:points")
    if spent is not None:
        ledger.reverse_transaction(spent, actor_id=actor_id, reason=reason, key=f"order:{order.id}:cancelled")
    captured = ledger.find_transaction(f"order:{order.id}:capture")
    if captured is not None:
        ledger.reverse_transaction(captured, actor_id=actor_id, reason=reason, key=f"order:{order.id}:uncaptured")
    hold = ledger.find_transaction(f"order:{order.id}:hold")
    if hold is not None:
        ledger.reverse_transaction(hold, actor_id=actor_id, reason=reason, key=f"order:{order.id}:released")
    for payment in payments.payments_for(order.id):
        if payment.status == "succeeded":
            payments.refund(payment)
        else:
            payments.cancel_intent(payment)
    for line in order.lines:
        if line.prize.stock is not None:
            db.session.execute(update(Prize).where(Prize.id == line.prize_id)
                               .values(stock=Prize.stock + line.quantity).execution_options(synchronize_session=False))
            db.session.expire(line.prize, ["stock"])
            db.session.add(StockMovement(prize_id=line.prize_id, delta=line.quantity, reason="cancelled order",
                                         order_id=order.id, actor_id=actor_id))
    db.session.flush()


def adjust_stock(prize: Prize, delta: int, reason: str, actor: User) -> None:
    _require_staff(actor)
    if not (reason or "").strip():
        raise DomainError(_l("Say why the stock changes."), field="reason")
    if prize.stock is None:
        raise DomainError(_l("This prize has unlimited stock."))
    if prize.stock + delta < 0:
        raise DomainError(_l("Stock cannot go below zero: %(n)s in stock.", n=prize.stock), field="delta")
    prize.stock += delta
    db.session.add(StockMovement(prize_id=prize.id, delta=delta, reason=reason.strip()[:200], actor_id=actor.id))
    db.session.flush()


def orders_query(*, user_id: int | None = None, status: str = "", q: str = ""):
    query = select(Order).options(selectinload(Order.lines).selectinload(OrderLine.prize)).order_by(
        Order.created_at.desc(), Order.id.desc())
    if user_id:  # one buyer's orders: the buyer is the reader, already in the session
        query = query.where(Order.user_id == user_id)
    else:
        query = query.options(selectinload(Order.user))
    if status:
        query = query.where(Order.status == status)
    if q.strip().isdigit():
        query = query.where(Order.id == (as_id(q) or 0))
    elif q.strip():
        query = query.join(User, User.id == Order.user_id).where(lower_text(User.full_name).like(f"%{q.lower()}%"))
    return query


def count_to_fulfil() -> int:
    """Orders the program team has to act on: placed or paid (to approve) and approved (to ship)."""
    return db.session.scalar(
        select(func.count(Order.id)).where(Order.status.in_([PLACED, PAID, APPROVED]))) or 0
