"""Reading the ledger: statements, the program's totals and the consistency check."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.ledger.models import (
    ADJUSTMENT,
    COPAY,
    DEBT,
    EXPIRY,
    HELD,
    ISSUANCE,
    PERSONAL_KINDS,
    REDEMPTION,
    WALLET,
    Account,
    LedgerEntry,
    LedgerTotal,
    LedgerTransaction,
    LotAllocation,
    PointLot,
)


def statement_query(user_id: int, *, date_from: date | None = None, date_to: date | None = None, kind: str = ""):
    """The participant's wallet entries, newest first, each with its transaction loaded."""
    query = (
        select(LedgerEntry)
        .join(Account, Account.id == LedgerEntry.account_id)
        .where(Account.code == f"{WALLET}:{user_id}")
        .options(
            joinedload(LedgerEntry.transaction).joinedload(LedgerTransaction.actor),
            joinedload(LedgerEntry.transaction).joinedload(LedgerTransaction.reverses),
        )
        .order_by(LedgerEntry.id.desc())
    )
    if date_from or date_to or kind:  # joined only to filter: the page's count then reads the entries' index alone
        query = query.join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
    if date_from:
        query = query.where(LedgerTransaction.created_at >= datetime.combine(date_from, time.min))
    if date_to:
        query = query.where(LedgerTransaction.created_at < datetime.combine(date_to + timedelta(days=1), time.min))
    if kind:
        query = query.where(LedgerTransaction.kind == kind)
    return query


@dataclass(frozen=True)
class ProgramTotals:
    issued: int  # earned by participants, net of reversals
    adjusted: int  # manual credits minus manual debits
    spent: int  # redeemed for prizes
    expired: int
    outstanding: int  # in wallets and held: what the program still owes
    held: int
    debt: int  # clawed back but not yet settled
    participants_with_points: int


def program_totals() -> ProgramTotals:
    system = dict(db.session.execute(
        select(Account.kind, Account.balance).where(Account.kind.in_([ISSUANCE, ADJUSTMENT, REDEMPTION, EXPIRY, COPAY]))
    ).all())
    # Kept with every posting (services._add_to_totals) and checked by check_ledger: read, not summed.
    kept = {kind: (balance, count) for kind, balance, count in db.session.execute(
        select(LedgerTotal.kind, LedgerTotal.balance, LedgerTotal.accounts_with_points)
    )}
    personal = {kind: balance for kind, (balance, _) in kept.items()}
    with_points = kept.get(WALLET, (0, 0))[1]
    return ProgramTotals(
        issued=-system.get(ISSUANCE, 0),
        adjusted=-system.get(ADJUSTMENT, 0),
        spent=system.get(REDEMPTION, 0),
        expired=system.get(EXPIRY, 0),
        outstanding=int(personal.get(WALLET, 0)) + int(personal.get(HELD, 0)),
        held=int(personal.get(HELD, 0)),
        debt=-int(personal.get(DEBT, 0)),
        participants_with_points=with_points or 0,
    )


def _streamed(statement, batch: int = 20_000):
    """Rows of `statement` a batch at a time, in the session's transaction (a server-side cursor on PostgreSQL)."""
    result = db.session.execute(statement.execution_options(yield_per=batch))  # options of this statement only
    for rows in result.partitions():
        yield from rows


def check_ledger() -> list[str]:
    """Recompute what the ledger keeps and report every difference. An empty list means all is right.

    One pass over the entries in id order (the order they were posted in) checks that every transaction sums to
    zero, that every running balance follows from the entries before it, and that every account's balance is
    the sum of its entries; one pass over the lots checks them against their allocations and the wallets. Rows
    stream in batches: memory holds one number per account and per transaction still open in the pass."""
    problems = []
    accounts = {account_id: (kind, balance) for account_id, kind, balance in db.session.execute(
        select(Account.id, Account.kind, Account.balance))}
    running: dict[int, int] = {}
    open_sums: dict[int, int] = {}
    wrong_running: dict[int, tuple[int, int, int]] = {}
    entries = select(LedgerEntry.id, LedgerEntry.transaction_id, LedgerEntry.account_id, LedgerEntry.amount,
                     LedgerEntry.balance_after).order_by(LedgerEntry.id)
    for entry_id, transaction_id, account_id, amount, balance_after in _streamed(entries):
        after = running.get(account_id, 0) + amount
        running[account_id] = after
        if after != balance_after and account_id not in wrong_running:
            wrong_running[account_id] = (entry_id, balance_after, after)
        total = open_sums.pop(transaction_id, 0) + amount
        if total:
            open_sums[transaction_id] = total
    problems += [f"transaction {tid}: entries sum to {total}, not 0" for tid, total in sorted(open_sums.items())]

    def code(account_id: int) -> str:
        return db.session.scalar(select(Account.code).where(Account.id == account_id))

    for account_id, (kind, balance) in sorted(accounts.items()):
        if balance != running.get(account_id, 0):
            problems.append(f"account {code(account_id)}: stored balance {balance}, "
                            f"entries say {running.get(account_id, 0)}")
        if (kind in (WALLET, HELD) and balance < 0) or (kind == DEBT and balance > 0):
            problems.append(f"account {code(account_id)}: balance on the wrong side of zero")
    for account_id, (entry_id, stored, summed) in sorted(wrong_running.items()):
        problems.append(f"account {code(account_id)}: entry {entry_id} has running balance {stored}, "
                        f"the entries up to it say {summed}")

    taken = dict(db.session.execute(
        select(LotAllocation.lot_id, func.sum(LotAllocation.amount)).group_by(LotAllocation.lot_id)).all())
    in_lots: dict[int, int] = {}
    lots = select(PointLot.id, PointLot.account_id, PointLot.amount, PointLot.remaining).order_by(PointLot.id)
    for lot_id, account_id, amount, remaining in _streamed(lots):
        if remaining != amount - (taken.get(lot_id) or 0):
            problems.append(f"lot {lot_id}: remaining {remaining}, allocations say {amount - (taken.get(lot_id) or 0)}")
        in_lots[account_id] = in_lots.get(account_id, 0) + remaining
    for account_id, (kind, balance) in sorted(accounts.items()):
        if kind == WALLET and balance != in_lots.get(account_id, 0):
            held = in_lots.get(account_id, 0)
            problems.append(f"account {code(account_id)}: balance {balance}, its lots hold {held}")

    summed = {kind: [0, 0] for kind in PERSONAL_KINDS}
    for kind, balance in accounts.values():
        if kind in summed:
            summed[kind][0] += balance
            summed[kind][1] += balance > 0
    kept = {kind: [balance, count] for kind, balance, count in db.session.execute(
        select(LedgerTotal.kind, LedgerTotal.balance, LedgerTotal.accounts_with_points))}
    for kind in PERSONAL_KINDS:
        if summed[kind] != kept.get(kind, [0, 0]):
            problems.append(f"totals of {kind} accounts: kept {kept.get(kind, [0, 0])}, accounts say {summed[kind]} "
                            "(balance, accounts with points)")
    return problems
