"""Points past their expiry move to the expiry account, lot by lot."""

from datetime import datetime

from sqlalchemy import func, select

from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger.models import EXPIRE, EXPIRY, Account, LedgerEntry, LedgerTransaction, LotAllocation, PointLot

from .accounts import _lock, account
from .builder import _already_posted, _Builder, _fingerprint


def expire_lot(lot: PointLot, *, now: datetime) -> LedgerTransaction | None:
    """Move what is left of a lot past its expiry to the expiry account. Doing it twice changes nothing."""
    wallet = db.session.get(Account, lot.account_id)
    expiry = account(EXPIRY)
    _lock([wallet, expiry])
    lot = db.session.get(PointLot, lot.id, populate_existing=True)
    if lot.remaining == 0 or lot.expires_at is None or lot.expires_at > now:
        return None
    # A lot can expire twice when a reversed spend gave expired points back to it.
    round_ = db.session.scalar(
        select(func.count(LotAllocation.id))
        .join(LedgerEntry, LedgerEntry.id == LotAllocation.entry_id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LotAllocation.lot_id == lot.id, LedgerTransaction.kind == EXPIRE)
    )
    key = f"expiry:lot:{lot.id}:{round_}"
    fingerprint = _fingerprint(op=EXPIRE, lot=lot.id, round=round_)
    if existing := _already_posted(key, fingerprint):
        return existing
    builder = _Builder(EXPIRE, key, fingerprint, "expiry", lot.id, None, None,
                       {"earned_at": lot.earned_at.date().isoformat()})
    builder.move(wallet, -lot.remaining, prefer={lot.id})
    builder.move(expiry, lot.remaining)
    return builder.write()


def due_lots(now: datetime) -> list[int]:
    return list(
        db.session.scalars(
            select(PointLot.id)
            .where(PointLot.remaining > 0, PointLot.expires_at.is_not(None), PointLot.expires_at <= now)
            .order_by(PointLot.expires_at, PointLot.id)
        )
    )


def expire_due_points(now: datetime | None = None) -> int:
    """The expiry job: expire every lot that is due, committing lot by lot. Safe to run at any moment."""
    now = now or utcnow()
    expired = 0
    for lot_id in due_lots(now):
        lot = db.session.get(PointLot, lot_id)
        if expire_lot(lot, now=now) is not None:
            expired += 1
        db.session.commit()
    return expired
