"""The points ledger's one API. Only this module writes ledger rows; every feature moves points through it.

Every operation follows the same steps, in one database transaction owned by the caller:
1. lock the accounts it touches (PostgreSQL: SELECT ... FOR UPDATE in id order; SQLite: a no-op UPDATE,
   which takes the database's write lock like BEGIN IMMEDIATE), so read-check-write cannot interleave;
2. look up the idempotency key: the same key with the same content returns the first transaction and
   changes nothing; with other content it is refused;
3. check that no wallet goes below zero, then write the transaction, its entries (summing to zero) and
   the running balances, and keep the expiry lots in step with the wallet.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, cast, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.audit import services as audit
from portal.core import events
from portal.core.errors import DomainError
from portal.core.sql import insert_ignoring_duplicates
from portal.core.time import add_months, utcnow
from portal.extensions import db
from portal.ledger.models import (
    ADJUST,
    ADJUSTMENT,
    DEBT,
    EARN,
    EXPIRE,
    EXPIRY,
    HELD,
    HOLD,
    ISSUANCE,
    PERSONAL_KINDS,
    REDEMPTION,
    REVERSAL,
    SPEND,
    SYSTEM_KINDS,
    WALLET,
    Account,
    LedgerEntry,
    LedgerTotal,
    LedgerTransaction,
    LotAllocation,
    PointLot,
    account_code,
)
from portal.program.services import get_settings


class InsufficientPoints(DomainError):
    def __init__(self, available: int, needed: int):
        super().__init__(
            _l("Not enough points: %(available)s available, %(needed)s needed.", available=available, needed=needed),
            field="points",
        )
        self.available = available
        self.needed = needed


class IdempotencyConflict(DomainError):
    """The same idempotency key was posted with different content: a bug in the caller, never retried."""

    def __init__(self, key: str):
        super().__init__(_l("This operation was already recorded with different details."))
        self.key = key


class AlreadyReversed(DomainError):
    def __init__(self):
        super().__init__(_l("This transaction has already been reversed."))


# --- accounts ------------------------------------------------------------------------------------



def _accounts(specs: list[tuple[str, int | None]]) -> dict[tuple[str, int | None], Account]:
    """The accounts for (kind, user_id) pairs, created on first use. Safe when two requests create at once."""
    codes = {account_code(kind, user_id): (kind, user_id) for kind, user_id in specs}
    found = {a.code: a for a in db.session.scalars(select(Account).where(Account.code.in_(codes)))}
    missing = [
        {"code": code, "kind": kind, "user_id": None if kind in SYSTEM_KINDS else user_id, "balance": 0}
        for code, (kind, user_id) in codes.items()
        if code not in found
    ]
    if missing:
        insert_ignoring_duplicates(Account, missing, ["code"])
        found = {a.code: a for a in db.session.scalars(select(Account).where(Account.code.in_(codes)))}
    return {spec: found[code] for code, spec in codes.items()}


def account(kind: str, user_id: int | None = None) -> Account:
    return _accounts([(kind, user_id)])[(kind, user_id)]


def _lock(accounts: list[Account]) -> None:
    """Lock the accounts for the rest of the transaction and reload their balances."""
    db.session.flush()
    ids = sorted({a.id for a in accounts})
    if db.session.get_bind().dialect.name == "postgresql":
        query = select(Account).where(Account.id.in_(ids)).order_by(Account.id).with_for_update()
    else:
        # SQLite locks the whole database for writing: a write as the first statement does it, and waits
        # (busy timeout) while another writer holds it, like BEGIN IMMEDIATE.
        db.session.execute(update(Account.__table__).where(Account.id.in_(ids)).values(balance=Account.balance))
        query = select(Account).where(Account.id.in_(ids))
    list(db.session.scalars(query.execution_options(populate_existing=True)))


def lock_participant(user_id: int) -> None:
    """Hold the participant's accounts until the transaction ends: for callers that decide how many
    points to post from what was posted before (period caps, first-sale bonuses)."""
    accounts = _accounts([(WALLET, user_id), (DEBT, user_id)])
    _lock(list(accounts.values()))


# --- reading -------------------------------------------------------------------------------------


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
    return balances_of(user_id).available


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


# --- writing -------------------------------------------------------------------------------------


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
        db.session.flush()
        totals: dict[str, list[int]] = {}
        for account, amount, lot_options in self.moves:
            if account.kind in PERSONAL_KINDS:
                total = totals.setdefault(account.kind, [0, 0])
                total[0] += amount
                total[1] += (account.balance + amount > 0) - (account.balance > 0)
            account.balance += amount
            entry = LedgerEntry(
                transaction_id=self.transaction.id, account_id=account.id, amount=amount, balance_after=account.balance
            )
            db.session.add(entry)
            db.session.flush()
            if account.kind == WALLET:
                if amount > 0 and "restore" in lot_options:
                    _restore_lots(lot_options["restore"], entry)
                elif amount > 0:
                    _open_lot(account, entry, lot_options.get("expires_at"))
                else:
                    _take_from_lots(account, entry, -amount, prefer=lot_options.get("prefer", ()))
        _add_to_totals(totals)
        db.session.flush()
        events.points_posted.send(self.transaction, moves=[(a.kind, amount) for a, amount, _ in self.moves])
        return self.transaction


def _add_to_totals(totals: dict[str, list[int]]) -> None:
    """Keep ledger_totals in step with the balances, in the posting's own transaction (an upsert: the row of a
    kind appears with its first posting)."""
    rows = [{"kind": kind, "balance": amount, "accounts_with_points": count}
            for kind, (amount, count) in totals.items() if amount or count]
    if not rows:
        return
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(LedgerTotal)
    db.session.execute(statement.on_conflict_do_update(index_elements=["kind"], set_={
        "balance": LedgerTotal.balance + statement.excluded.balance,
        "accounts_with_points": LedgerTotal.accounts_with_points + statement.excluded.accounts_with_points,
    }), rows)


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


def _take_from_lots(account: Account, entry: LedgerEntry, points: int, prefer=()) -> None:
    """Spend the oldest-expiring points first (those in `prefer` before all others)."""
    lots = list(
        db.session.scalars(
            select(PointLot)
            .where(PointLot.account_id == account.id, PointLot.remaining > 0)
            .order_by(PointLot.expires_at.is_(None), PointLot.expires_at, PointLot.id)
            .execution_options(populate_existing=True)
        )
    )
    lots.sort(key=lambda lot: lot.id not in prefer)  # stable: keeps the expiry order within each group
    for lot in lots:
        if points == 0:
            break
        taken = min(points, lot.remaining)
        lot.remaining -= taken
        points -= taken
        db.session.add(LotAllocation(entry_id=entry.id, lot_id=lot.id, amount=taken))
    if points:
        raise RuntimeError(f"wallet {account.id} has fewer points in lots than in its balance")


def _restore_lots(original: LedgerEntry, entry: LedgerEntry) -> None:
    """Give a reversed debit's points back to the very lots it took them from."""
    allocations = db.session.scalars(select(LotAllocation).where(LotAllocation.entry_id == original.id))
    for allocation in allocations:
        lot = db.session.get(PointLot, allocation.lot_id, populate_existing=True)
        lot.remaining += allocation.amount
        db.session.add(LotAllocation(entry_id=entry.id, lot_id=lot.id, amount=-allocation.amount))


def earn(user_id: int, points: int, *, key: str, source_type: str, source_id: int | None = None,
         actor_id: int | None = None, memo: str | None = None, params: dict | None = None,
         expires_at: datetime | str = "default") -> LedgerTransaction:
    """Credit a participant with points the program issues. A debt from an earlier clawback is settled first."""
    if points <= 0:
        raise ValueError("points earned must be positive")
    fingerprint = _fingerprint(op=EARN, user=user_id, points=points, source=[source_type, source_id])
    accounts = _accounts([(WALLET, user_id), (DEBT, user_id), (ISSUANCE, None)])
    wallet, debt, issuance = accounts[(WALLET, user_id)], accounts[(DEBT, user_id)], accounts[(ISSUANCE, None)]
    _lock([wallet, debt, issuance])
    if existing := _already_posted(key, fingerprint):
        return existing
    settle = min(points, -debt.balance)
    builder = _Builder(EARN, key, fingerprint, source_type, source_id, actor_id, memo, params)
    builder.move(issuance, -points)
    builder.move(debt, settle)
    builder.move(wallet, points - settle, expires_at=expires_at)
    return builder.write()


def spend(user_id: int, points: int, *, key: str, source_type: str, source_id: int | None = None,
          actor_id: int | None = None, memo: str | None = None, params: dict | None = None,
          hold: bool = False) -> LedgerTransaction:
    """Take points from a participant's wallet: redeemed, or held for an order until it is paid (`hold`)."""
    if points <= 0:
        raise ValueError("points spent must be positive")
    kind = HOLD if hold else SPEND
    fingerprint = _fingerprint(op=kind, user=user_id, points=points, source=[source_type, source_id])
    target_spec = (HELD, user_id) if hold else (REDEMPTION, None)
    accounts = _accounts([(WALLET, user_id), target_spec])
    wallet, target = accounts[(WALLET, user_id)], accounts[target_spec]
    _lock([wallet, target])
    if existing := _already_posted(key, fingerprint):
        return existing
    builder = _Builder(kind, key, fingerprint, source_type, source_id, actor_id, memo, params)
    builder.move(wallet, -points)
    builder.move(target, points)
    return builder.write()


def capture_hold(hold: LedgerTransaction, *, key: str, actor_id: int | None = None) -> LedgerTransaction:
    """Held points become spent: the order they were held for is paid."""
    held_entry = next(e for e in hold.entries if e.amount > 0)
    fingerprint = _fingerprint(op="capture", hold=hold.id)
    redemption = account(REDEMPTION)
    _lock([held_entry.account, redemption])
    if existing := _already_posted(key, fingerprint):
        return existing
    builder = _Builder(SPEND, key, fingerprint, hold.source_type, hold.source_id, actor_id, None, hold.params)
    builder.move(held_entry.account, -held_entry.amount)
    builder.move(redemption, held_entry.amount)
    return builder.write()


def adjust(user_id: int, points: int, *, reason: str, actor_id: int, key: str) -> LedgerTransaction:
    """A manager's manual credit (points > 0) or debit (points < 0), with the reason the participant sees."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason: the participant will see it."), field="reason")
    if points == 0:
        raise DomainError(_l("Enter a number of points other than zero."), field="points")
    fingerprint = _fingerprint(op=ADJUST, user=user_id, points=points, reason=reason, actor=actor_id)
    accounts = _accounts([(WALLET, user_id), (DEBT, user_id), (ADJUSTMENT, None)])
    wallet, debt, adjustment = accounts[(WALLET, user_id)], accounts[(DEBT, user_id)], accounts[(ADJUSTMENT, None)]
    _lock([wallet, debt, adjustment])
    if existing := _already_posted(key, fingerprint):
        return existing
    builder = _Builder(ADJUST, key, fingerprint, "adjustment", None, actor_id, reason, {})
    builder.move(adjustment, -points)
    if points > 0:
        settle = min(points, -debt.balance)
        builder.move(debt, settle)
        builder.move(wallet, points - settle)
    else:
        builder.move(wallet, points)
    transaction = builder.write()
    audit.record(audit.POINTS_ADJUSTED, actor_id=actor_id, object_type="user", object_id=user_id,
                 changes={"points": points, "reason": reason, "transaction": transaction.id})
    return transaction


def reverse_transaction(original: LedgerTransaction, *, actor_id: int | None, reason: str | None = None,
                        key: str | None = None) -> LedgerTransaction:
    """Undo a transaction with an opposite one, linked to it. Never edits or deletes the original.

    Points credited and already spent cannot leave the wallet below zero: the shortfall becomes the
    participant's debt, settled from their next earnings.
    """
    key = key or f"reversal:{original.id}"
    fingerprint = _fingerprint(op=REVERSAL, original=original.id)
    if original.kind == REVERSAL:
        raise DomainError(_l("A reversal cannot be reversed: post a new transaction instead."))
    entries = list(original.entries)
    personal = {e.account.user_id for e in entries if e.account.user_id is not None}
    debts = _accounts([(DEBT, user_id) for user_id in personal])
    _lock([e.account for e in entries] + list(debts.values()))
    if existing := _already_posted(key, fingerprint):
        return existing
    if reversal_of(original) is not None:
        raise AlreadyReversed()
    builder = _Builder(REVERSAL, key, fingerprint, original.source_type, original.source_id, actor_id, reason,
                       original.params, reverses_id=original.id)
    own_lots = set(db.session.scalars(select(PointLot.id).where(PointLot.entry_id.in_([e.id for e in entries]))))
    for entry in entries:
        acct = entry.account
        if acct.kind == WALLET and entry.amount > 0:
            planned = sum(amount for a, amount, _ in builder.moves if a is acct)
            taken = min(entry.amount, acct.balance + planned)
            builder.move(acct, -taken, prefer=own_lots)
            builder.move(debts[(DEBT, acct.user_id)], -(entry.amount - taken))
        elif acct.kind == WALLET:
            builder.move(acct, -entry.amount, restore=entry)
        else:
            builder.move(acct, -entry.amount)
    _merge_moves(builder)
    return builder.write()


def _merge_moves(builder: _Builder) -> None:
    """One entry per account (wallets aside, whose lots differ per move), so statements stay readable."""
    merged: dict[int, list] = {}
    ordered: list[list] = []
    for acct, amount, options in builder.moves:
        if acct.kind != WALLET and acct.id in merged:
            merged[acct.id][1] += amount
            continue
        row = [acct, amount, options]
        ordered.append(row)
        if acct.kind != WALLET:
            merged[acct.id] = row
    builder.moves = [(acct, amount, options) for acct, amount, options in ordered if amount]


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
