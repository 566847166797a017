"""Accounts, created on first use, and their locks for the rest of the transaction."""

from sqlalchemy import select, update

from portal.core.sql import insert_ignoring_duplicates
from portal.extensions import db
from portal.ledger.models import DEBT, SYSTEM_KINDS, WALLET, Account, account_code


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
