"""Reading the ledger: balances, points about to expire, and transactions by key."""

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import get_timezone
from sqlalchemy import Date, cast, func, select, text

from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger.models import DEBT, HELD, WALLET, Account, LedgerTransaction, PointLot, account_code

from .accounts import locked_account


@dataclass(frozen=True)
class Balances:
    available: int  # in the wallet, spendable
    held: int  # set aside for unpaid orders
    debt: int  # owed after a clawback, settled from future earnings (a positive number)


def balances_of(user_id: int) -> Balances:
    codes = [account_code(kind, user_id) for kind in (WALLET, HELD, DEBT)]
    rows = dict(db.session.execute(select(Account.kind, Account.balance).where(Account.code.in_(codes))).all())
    return Balances(available=rows.get(WALLET, 0), held=rows.get(HELD, 0), debt=-rows.get(DEBT, 0))


def balance_of(user_id: int) -> int:
    """The points the participant can spend; read from the session when this transaction holds their wallet."""
    wallet = locked_account(WALLET, user_id)
    return wallet.balance if wallet is not None else balances_of(user_id).available


def wallet_account(user_id: int) -> Account | None:
    return db.session.scalar(select(Account).where(Account.code == account_code(WALLET, user_id)))


def expiring_lots(user_id: int, before: datetime) -> list[tuple[datetime, int]]:
    """(expiry, points) of the participant's points that expire before `before`, soonest first: one line per
    day in the portal's time zone (a busy participant has thousands of lots, each with its own second), at the
    moment the first of that day's lots expires. At most one line per day until `before`."""
    wallet = wallet_account(user_id)
    if wallet is None:
        return []
    offset = int(utcnow().replace(tzinfo=UTC).astimezone(get_timezone()).utcoffset().total_seconds() // 60)
    if db.session.get_bind().dialect.name == "postgresql":
        day = cast(PointLot.expires_at + text(f"interval '{offset} minutes'"), Date)
    else:
        day = func.date(PointLot.expires_at, f"{offset:+d} minutes")
    rows = db.session.execute(
        select(func.min(PointLot.expires_at), func.sum(PointLot.remaining))
        .where(PointLot.account_id == wallet.id, PointLot.remaining > 0, PointLot.expires_at.is_not(None),
               PointLot.expires_at < before)
        .group_by(day)
        .order_by(func.min(PointLot.expires_at))
    )
    return [(expires_at, int(points)) for expires_at, points in rows]


def find_transaction(idempotency_key: str) -> LedgerTransaction | None:
    return db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.idempotency_key == idempotency_key))


def reversal_of(transaction: LedgerTransaction) -> LedgerTransaction | None:
    return db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.reverses_id == transaction.id))
