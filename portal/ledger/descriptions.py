"""What a statement line says, in the reader's language. Features register the wording for their sources."""

from collections.abc import Callable
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _

from portal.ledger.models import TRANSACTION_KIND_LABELS, LedgerTransaction

_describers: dict[str, Callable[[LedgerTransaction], str]] = {}


def describes(source_type: str):
    """Register the wording of transactions whose source is `source_type`."""

    def register(fn):
        _describers[source_type] = fn
        return fn

    return register


def describe(transaction: LedgerTransaction) -> str:
    if transaction.reverses_id is not None:
        text = _("Reversal: %(what)s", what=describe(transaction.reverses))
        return f"{text} ({transaction.memo})" if transaction.memo else text
    describer = _describers.get(transaction.source_type)
    if describer is not None:
        return describer(transaction)
    return str(TRANSACTION_KIND_LABELS[transaction.kind])


@describes("adjustment")
def _adjustment(transaction):
    manager = transaction.actor.full_name if transaction.actor else _("the program team")
    return _("Adjustment by %(manager)s: %(reason)s", manager=manager, reason=transaction.memo or "")


@describes("expiry")
def _expiry(transaction):
    earned = transaction.params.get("earned_at")
    if earned:
        return _("Points earned on %(date)s expired", date=format_date(date.fromisoformat(earned)))
    return _("Points expired")


@describes("claim")
def _claim(transaction):
    return _("Sale #%(id)s approved, invoice %(invoice)s", id=transaction.source_id,
             invoice=transaction.params.get("invoice", ""))


@describes("first_sale")
def _first_sale(transaction):
    return _("Bonus for the first approved sale")


@describes("birthday")
def _birthday(transaction):
    return _("Happy birthday from the program!")


@describes("sale")
def _sale(transaction):
    return _("Sale approved, invoice %(invoice)s", invoice=transaction.params.get("invoice", ""))


@describes("course")
def _course(transaction):
    return _("Course passed: %(title)s", title=transaction.params.get("title", ""))


@describes("welcome")
def _welcome(transaction):
    return _("Welcome bonus")


@describes("order")
def _order(transaction):
    return _("Prize order #%(number)s", number=transaction.source_id)
