"""Writing one transaction: entries summing to zero, running balances and totals, and the expiry lots kept
in step with the wallet (a credit opens a lot, a debit takes from the oldest-expiring ones)."""

import functools
import hashlib
import json
from datetime import datetime

from sqlalchemy import case, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.core import events
from portal.core.time import add_months, utcnow
from portal.extensions import db
from portal.ledger.models import (
    HELD,
    PERSONAL_KINDS,
    WALLET,
    Account,
    LedgerEntry,
    LedgerTotal,
    LedgerTransaction,
    LotAllocation,
    PointLot,
)
from portal.program.services import get_settings

from .errors import IdempotencyConflict, InsufficientPoints
from .queries import find_transaction


def _fingerprint(**content) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def _already_posted(key: str, fingerprint: str) -> LedgerTransaction | None:
    existing = find_transaction(key)
    if existing is not None and existing.fingerprint != fingerprint:
        raise IdempotencyConflict(key)
    return existing


class _Builder:
    """Collects the entries of one transaction, keeps lots in step, and writes it all at once."""

    def __init__(self, kind, key, fingerprint, source_type, source_id, actor_id, memo, params, reverses_id=None):
        self.transaction = LedgerTransaction(
            idempotency_key=key, fingerprint=fingerprint, kind=kind, source_type=source_type, source_id=source_id,
            actor_id=actor_id, memo=memo, params=params or {}, reverses_id=reverses_id, created_at=utcnow(),
        )
        self.moves: list[tuple[Account, int, dict]] = []

    def move(self, account: Account, amount: int, **lot_options) -> None:
        if amount:
            self.moves.append((account, amount, lot_options))

    def write(self) -> LedgerTransaction:
        assert sum(amount for _, amount, _ in self.moves) == 0, "a transaction's entries must sum to zero"
        assert len(self.moves) >= 2, "a transaction moves points between at least two accounts"
        for account, amount, _ in self.moves:
            if account.kind in (WALLET, HELD) and account.balance + amount < 0:
                raise InsufficientPoints(available=account.balance, needed=-amount)
        db.session.add(self.transaction)
        totals: dict[str, list[int]] = {}
        entries = []
        for account, amount, _ in self.moves:
            if account.kind in PERSONAL_KINDS:
                total = totals.setdefault(account.kind, [0, 0])
                total[0] += amount
                total[1] += (account.balance + amount > 0) - (account.balance > 0)
            account.balance += amount
            entries.append(LedgerEntry(transaction=self.transaction, account_id=account.id, amount=amount,
                                       balance_after=account.balance))
        db.session.add_all(entries)
        db.session.flush()  # the transaction, its entries and the balances, in one flush
        allocations: list[dict] = []
        for (account, amount, lot_options), entry in zip(self.moves, entries, strict=True):
            if account.kind != WALLET:
                continue
            if amount > 0 and "restore" in lot_options:
                _restore_lots(lot_options["restore"], entry, allocations)
            elif amount > 0:
                _open_lot(account, entry, lot_options.get("expires_at"))
            else:
                _take_from_lots(account, entry, -amount, allocations, prefer=lot_options.get("prefer", ()))
        if allocations:  # one statement for any number of lots (rows nobody reads back in this transaction)
            db.session.execute(insert(LotAllocation), allocations)
        _add_to_totals(totals)
        db.session.flush()
        events.points_posted.send(self.transaction, moves=[(a.kind, amount) for a, amount, _ in self.moves])
        return self.transaction


def _add_to_totals(totals: dict[str, list[int]]) -> None:
    """Keep ledger_totals in step with the balances, in the posting's own transaction (an upsert: the row of a
    kind appears with its first posting)."""
    rows = [{"kind": kind, "balance": amount, "accounts_with_points": count}
            for kind, (amount, count) in totals.items() if amount or count]
    if rows:
        db.session.execute(_totals_upsert(db.session.get_bind().dialect.name), rows)


@functools.cache
def _totals_upsert(dialect: str):
    """Built once: an INSERT ... ON CONFLICT and its `excluded` row cost more to build than to run."""
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(LedgerTotal)
    return statement.on_conflict_do_update(index_elements=["kind"], set_={
        "balance": LedgerTotal.balance + statement.excluded.balance,
        "accounts_with_points": LedgerTotal.accounts_with_points + statement.excluded.accounts_with_points,
    })


def _default_expiry(earned_at: datetime) -> datetime | None:
    months = get_settings().points_expire_months
    return add_months(earned_at, months) if months else None


def _open_lot(account: Account, entry: LedgerEntry, expires_at: datetime | str | None) -> None:
    """A credit to a wallet opens a lot that expires by the program's setting, or when the caller says."""
    earned_at = utcnow()
    if expires_at in (None, "default"):
        expiry = _default_expiry(earned_at)
    elif expires_at == "never":
        expiry = None
    else:
        expiry = expires_at
    db.session.add(PointLot(account_id=account.id, entry_id=entry.id, amount=entry.amount, remaining=entry.amount,
                            earned_at=earned_at, expires_at=expiry))


def _take_from_lots(account: Account, entry: LedgerEntry, points: int, allocations: list[dict], prefer=()) -> None:
    """Spend the oldest-expiring points first (those in `prefer` before all others). Only the lots the debit
    reaches are read: those whose earlier lots in that order hold less than the points to take."""
    order = [PointLot.expires_at.is_(None), PointLot.expires_at, PointLot.id]
    if prefer:
        order.insert(0, case((PointLot.id.in_(prefer), 0), else_=1))
    before = func.sum(PointLot.remaining).over(order_by=order, rows=(None, -1))
    reached = (select(PointLot.id, func.coalesce(before, 0).label("before"))
               .where(PointLot.account_id == account.id, PointLot.remaining > 0).subquery())
    lots = db.session.scalars(
        select(PointLot).join(reached, reached.c.id == PointLot.id).where(reached.c.before < points)
        .order_by(*order).execution_options(populate_existing=True)
    )
    for lot in lots:
        taken = min(points, lot.remaining)
        lot.remaining -= taken
        points -= taken
        allocations.append({"entry_id": entry.id, "lot_id": lot.id, "amount": taken})
    if points:
        raise RuntimeError(f"wallet {account.id} has fewer points in lots than in its balance")


def _restore_lots(original: LedgerEntry, entry: LedgerEntry, allocations: list[dict]) -> None:
    """Give a reversed debit's points back to the very lots it took them from."""
    taken = db.session.execute(select(LotAllocation.lot_id, LotAllocation.amount)
                               .where(LotAllocation.entry_id == original.id)).all()
    lots = {lot.id: lot for lot in db.session.scalars(
        select(PointLot).where(PointLot.id.in_({lot_id for lot_id, _ in taken}))
        .execution_options(populate_existing=True))}
    for lot_id, amount in taken:
        lots[lot_id].remaining += amount
        allocations.append({"entry_id": entry.id, "lot_id": lot_id, "amount": -amount})
