"""Orders and card payments checked against each other and against the ledger: what `portal check` reports.

Each order's state says what its points and card payments must be; a difference is a problem to look at (a
crash between two steps, a job that has not run, a hand-edited row). Read only: nothing is repaired here."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger.models import HELD, REDEMPTION, Account, LedgerEntry, LedgerTransaction
from portal.payments.models import Payment
from portal.program.services import get_settings
from portal.shop.models import APPROVED, AWAITING_PAYMENT, DELIVERED, PAID, PLACED, SHIPPED, STATUS_LABELS, Order

# Orders whose points must have been spent, and those whose card part must have been paid.
SPENT_STATES = (PLACED, PAID, APPROVED, SHIPPED, DELIVERED)
CARD_PAID_STATES = (PAID, APPROVED, SHIPPED, DELIVERED)
# An order awaiting payment past its deadline by more than this is reported: the expiry job is not running.
OVERDUE_GRACE = timedelta(minutes=15)


def _points_by_order(kind: str) -> dict[int, int]:
    """Per order: the net points its ledger transactions moved on accounts of `kind` (held, or redemption)."""
    query = (select(LedgerTransaction.source_id, func.sum(LedgerEntry.amount))
             .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
             .join(Account, Account.id == LedgerEntry.account_id)
             .where(LedgerTransaction.source_type == "order", Account.kind == kind)
             .group_by(LedgerTransaction.source_id))
    return {order_id: int(total or 0) for order_id, total in db.session.execute(query)}


def order_problems(now=None) -> list:
    """Every order whose state disagrees with its points or card payments, one line each; empty when all is right.

    - points: an order awaiting payment holds its points (none spent); a placed, paid, approved, shipped or
      delivered one has spent them (none held); a cancelled one neither holds nor has spent any;
    - card: a paid (approved, shipped, delivered) order with a card part has exactly one succeeded payment; a
      cancelled order has no succeeded payment left unrefunded; an attempt still in progress belongs to an order
      awaiting payment;
    - time: an order awaiting payment well past its deadline (the expiry job is not running)."""
    now = now or utcnow()
    timeout = timedelta(minutes=get_settings().payment_timeout_minutes)
    held, spent = _points_by_order(HELD), _points_by_order(REDEMPTION)
    payments: dict[int, list[str]] = {}
    for order_id, status in db.session.execute(select(Payment.order_id, Payment.status).order_by(Payment.id)):
        payments.setdefault(order_id, []).append(status)
    problems = []
    orders = db.session.execute(select(Order.id, Order.status, Order.points, Order.card_kopecks, Order.created_at)
                                .order_by(Order.id))
    for order_id, status, points, card_kopecks, created_at in orders:
        should_hold = points if status == AWAITING_PAYMENT else 0
        should_spend = points if status in SPENT_STATES else 0
        state = STATUS_LABELS.get(status, status)
        if held.get(order_id, 0) != should_hold:
            problems.append(_l("Order #%(id)s (%(state)s) holds %(points)s points; it should hold %(should)s.",
                               id=order_id, state=state, points=held.get(order_id, 0), should=should_hold))
        if spent.get(order_id, 0) != should_spend:
            problems.append(_l("Order #%(id)s (%(state)s) has spent %(points)s points; it should have spent "
                               "%(should)s.", id=order_id, state=state, points=spent.get(order_id, 0),
                               should=should_spend))
        attempts = payments.get(order_id, [])
        succeeded = attempts.count("succeeded")
        if status in CARD_PAID_STATES and card_kopecks and succeeded != 1:
            problems.append(_l("Order #%(id)s (%(state)s) has %(count)s succeeded card payments; it should have one.",
                               id=order_id, state=state, count=succeeded))
        elif status not in CARD_PAID_STATES and succeeded:
            problems.append(_l("Order #%(id)s (%(state)s): a card payment was taken and not refunded.",
                               id=order_id, state=state))
        if "created" in attempts and status != AWAITING_PAYMENT:
            problems.append(_l("Order #%(id)s (%(state)s): a card payment attempt is still in progress.",
                               id=order_id, state=state))
        if card_kopecks == 0 and attempts:
            problems.append(_l("Order #%(id)s (%(state)s) has card payments but no card part.",
                               id=order_id, state=state))
        if status == AWAITING_PAYMENT and now > created_at + timeout + OVERDUE_GRACE:
            problems.append(_l("Order #%(id)s still awaits payment past its deadline (%(deadline)s UTC): is the worker "
                               "running the job that cancels unpaid orders?", id=order_id,
                               deadline=f"{created_at + timeout:%Y-%m-%d %H:%M}"))
    return problems
