"""The operations that move points: earn, spend or hold, capture a hold, adjust by hand, reverse."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit import services as audit
from portal.core.errors import DomainError
from portal.extensions import db
from portal.ledger.models import (
    ADJUST,
    ADJUSTMENT,
    DEBT,
    EARN,
    HELD,
    HOLD,
    ISSUANCE,
    REDEMPTION,
    REVERSAL,
    SPEND,
    WALLET,
    LedgerTransaction,
    PointLot,
)

from .accounts import _accounts, _lock, account
from .builder import _already_posted, _Builder, _fingerprint
from .errors import AlreadyReversed
from .queries import reversal_of


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
