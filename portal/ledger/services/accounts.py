"""Accounts, created on first use, and their locks for the rest of the transaction."""

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from portal.core.sql import insert_ignoring_duplicates
from portal.extensions import db
from portal.ledger.models import DEBT, SYSTEM_KINDS, WALLET, Account, account_code

# session.info: {code: Account} of the accounts locked (and reloaded) in the session's current transaction. A
# posting after `lock_participant` (an order, a claim's approval) locks only what is not held yet, and reads none
# of them again: their balances in the session are the database's until the transaction ends.
_LOCKED = "ledger_locked_accounts"


@event.listens_for(Session, "after_transaction_end")
def _forget_locks(session, transaction) -> None:
    # The database transaction's end, or a savepoint's (one rolled back gives its row locks back on PostgreSQL; a
    # lock still held is only taken again, a no-op, by the next posting); not the ORM's inner ones of each flush.
    if transaction.parent is None or transaction.nested:
        session.info.pop(_LOCKED, None)


def _accounts(specs: list[tuple[str, int | None]]) -> dict[tuple[str, int | None], Account]:
    """The accounts for (kind, user_id) pairs, created on first use. Safe when two requests create at once."""
    codes = {account_code(kind, user_id): (kind, user_id) for kind, user_id in specs}
    locked = db.session.info.get(_LOCKED, {})
    found = {code: locked[code] for code in codes if code in locked}
    wanted = [code for code in codes if code not in found]
    if wanted:
        query = select(Account).where(Account.code.in_(wanted))
        # On SQLite a transaction that locked accounts holds the database's write lock: what it reads now is as
        # good as locked (reloaded, so a balance read before the lock is not kept).
        holding = bool(locked) and db.session.get_bind().dialect.name == "sqlite"
        for held in db.session.scalars(query.execution_options(populate_existing=holding)):
            found[held.code] = held
            if holding:
                locked[held.code] = held
    missing = [
        {"code": code, "kind": kind, "user_id": None if kind in SYSTEM_KINDS else user_id, "balance": 0}
        for code, (kind, user_id) in codes.items()
        if code not in found
    ]
    if missing:
        insert_ignoring_duplicates(Account, missing, ["code"])
        found |= {a.code: a for a in db.session.scalars(
            select(Account).where(Account.code.in_([row["code"] for row in missing])))}
    return {spec: found[code] for code, spec in codes.items()}


def account(kind: str, user_id: int | None = None) -> Account:
    return _accounts([(kind, user_id)])[(kind, user_id)]


def locked_account(kind: str, user_id: int | None = None) -> Account | None:
    """The account as locked in this transaction, None when it is not locked (yet)."""
    return db.session.info.get(_LOCKED, {}).get(account_code(kind, user_id))


def _lock(accounts: list[Account]) -> None:
    """Lock the accounts for the rest of the transaction and reload their balances (those not locked yet)."""
    locked = db.session.info.setdefault(_LOCKED, {})
    ids = sorted({a.id for a in accounts if a.code not in locked})
    if not ids:
        return
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        query = select(Account).where(Account.id.in_(ids)).order_by(Account.id).with_for_update()
    else:
        # SQLite locks the whole database for writing: a write as the first statement does it, and waits
        # (busy timeout) while another writer holds it, like BEGIN IMMEDIATE. A transaction that locked accounts
        # before holds it already: reading the others is enough.
        if not locked:
            db.session.execute(update(Account.__table__).where(Account.id.in_(ids)).values(balance=Account.balance))
        query = select(Account).where(Account.id.in_(ids))
    for held in db.session.scalars(query.execution_options(populate_existing=True)):
        locked[held.code] = held


def lock_participant(user_id: int) -> None:
    """Hold the participant's accounts until the transaction ends: for callers that decide how many
    points to post from what was posted before (period caps, first-sale bonuses). A posting to them afterwards in
    the same transaction neither locks nor reads them again."""
    accounts = _accounts([(WALLET, user_id), (DEBT, user_id)])
    _lock(list(accounts.values()))
