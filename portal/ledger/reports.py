"""Reading the ledger: statements, the program's totals and the consistency check."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import contains_eager

from portal.core.time import local_day_start
from portal.extensions import db
from portal.ledger.models import (
    ADJUSTMENT,
    DEBT,
    EXPIRY,
    HELD,
    ISSUANCE,
    PERSONAL_KINDS,
    REDEMPTION,
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


def statement_query(user_id: int, *, date_from: date | None = None, date_to: date | None = None, kind: str = ""):
    """The participant's wallet entries, newest first by their moment (ties: the later posted first), each with
    its transaction loaded. By the moment, not the id: a sale approved today for a moment before an entry already
    posted is listed where it happened."""
    wallet = select(Account.id).where(Account.code == account_code(WALLET, user_id)).scalar_subquery()
    query = (
        select(LedgerEntry)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        # The account as a value, not a join: the database reads the wallet's entries from its (account, id) index.
        .where(LedgerEntry.account_id == wallet)
        .options(
            contains_eager(LedgerEntry.transaction).joinedload(LedgerTransaction.actor),
            contains_eager(LedgerEntry.transaction).joinedload(LedgerTransaction.reverses),
        )
        .order_by(LedgerTransaction.created_at.desc(), LedgerEntry.id.desc())
    )
    if date_from:  # days of the program's calendar, as the statement shows its dates
        query = query.where(LedgerTransaction.created_at >= local_day_start(date_from))
    if date_to:
        query = query.where(LedgerTransaction.created_at < local_day_start(date_to + timedelta(days=1)))
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
    system_codes = [account_code(kind) for kind in SYSTEM_KINDS]
    system = dict(db.session.execute(  # by code (unique index): a filter on kind would scan every person's account
        select(Account.kind, Account.balance).where(Account.code.in_(system_codes))).all())
    # Kept with every posting (_add_to_totals in services/builder.py) and checked by check_ledger: read, not summed.
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


def _rows(statement, batch: int = 20_000):
    """Rows of `statement` a batch at a time, in the session's transaction (a server-side cursor on PostgreSQL)."""
    result = db.session.execute(statement.execution_options(yield_per=batch))  # options of this statement only
    for rows in result.partitions():
        yield from rows


def check_ledger() -> list[str]:
    """Recompute what the ledger keeps and report every difference. An empty list means all is right.

    Checks: every transaction sums to zero; every entry's running balance is its account's entries summed up to
    it (each entry, not only the last); every account's stored balance is the sum of its entries and lies on its
    side of zero; every lot's remainder is its amount less its allocations; every wallet holds what its lots
    hold; the kept totals match the accounts. Each is one aggregate the database computes (grouped sums and a
    window sum over the entries in account order), so Python holds one number per account and what is wrong;
    at 5 million entries this is several times faster than summing in Python (bench/README.md)."""
    if db.engine.dialect.name == "postgresql":
        # For this transaction only: read the covering indexes (migration 0020) in order and sum as they stream
        # (group and merge) instead of hashing millions of rows, which the planner prefers and which took about
        # twice as long at 5 million entries; memory for whatever still sorts or hashes.
        for setting in ("work_mem = '256MB'", "enable_hashagg = off", "enable_hashjoin = off"):
            db.session.execute(text(f"SET LOCAL {setting}"))
    problems = []
    accounts = {account_id: (code, kind, balance) for account_id, code, kind, balance in db.session.execute(
        select(Account.id, Account.code, Account.kind, Account.balance))}

    summed = func.sum(LedgerEntry.amount)
    unbalanced = (select(LedgerEntry.transaction_id, summed).group_by(LedgerEntry.transaction_id)
                  .having(summed != 0).order_by(LedgerEntry.transaction_id))
    problems += [f"transaction {tid}: entries sum to {total}, not 0" for tid, total in _rows(unbalanced)]

    sums = dict(db.session.execute(select(LedgerEntry.account_id, summed).group_by(LedgerEntry.account_id)).all())
    for account_id, (code, kind, balance) in sorted(accounts.items()):
        if balance != (sums.get(account_id) or 0):
            problems.append(f"account {code}: stored balance {balance}, entries say {sums.get(account_id) or 0}")
        if (kind in (WALLET, HELD) and balance < 0) or (kind == DEBT and balance > 0):
            problems.append(f"account {code}: balance on the wrong side of zero")

    running = summed.over(partition_by=LedgerEntry.account_id, order_by=LedgerEntry.id, rows=(None, 0))
    windowed = select(LedgerEntry.account_id, LedgerEntry.id, LedgerEntry.balance_after,
                      running.label("running")).subquery()
    wrong_running = (select(windowed).where(windowed.c.running != windowed.c.balance_after)
                     .order_by(windowed.c.account_id, windowed.c.id))
    reported = set()
    for account_id, entry_id, stored, total in _rows(wrong_running):
        if account_id not in reported:  # the first wrong entry of an account; the ones after it follow from it
            reported.add(account_id)
            problems.append(f"account {accounts[account_id][0]}: entry {entry_id} has running balance {stored}, "
                            f"the entries up to it say {total}")

    taken = (select(LotAllocation.lot_id, func.sum(LotAllocation.amount).label("amount"))
             .group_by(LotAllocation.lot_id).subquery())
    should_remain = PointLot.amount - func.coalesce(taken.c.amount, 0)
    wrong_lots = (select(PointLot.id, PointLot.remaining, should_remain)
                  .outerjoin(taken, taken.c.lot_id == PointLot.id)
                  .where(PointLot.remaining != should_remain).order_by(PointLot.id))
    problems += [f"lot {lot_id}: remaining {remaining}, allocations say {should}"
                 for lot_id, remaining, should in _rows(wrong_lots)]
    in_lots = dict(db.session.execute(
        select(PointLot.account_id, func.sum(PointLot.remaining)).group_by(PointLot.account_id)).all())
    for account_id, (code, kind, balance) in sorted(accounts.items()):
        if kind == WALLET and balance != (in_lots.get(account_id) or 0):
            problems.append(f"account {code}: balance {balance}, its lots hold {in_lots.get(account_id) or 0}")

    totals = {kind: [0, 0] for kind in PERSONAL_KINDS}
    for _code, kind, balance in accounts.values():
        if kind in totals:
            totals[kind][0] += balance
            totals[kind][1] += balance > 0
    kept = {kind: [balance, count] for kind, balance, count in db.session.execute(
        select(LedgerTotal.kind, LedgerTotal.balance, LedgerTotal.accounts_with_points))}
    for kind in PERSONAL_KINDS:
        if totals[kind] != kept.get(kind, [0, 0]):
            problems.append(f"totals of {kind} accounts: kept {kept.get(kind, [0, 0])}, accounts say {totals[kind]} "
                            "(balance, accounts with points)")
    return problems
