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
    REDEMPTION,
    WALLET,
    Account,
    LedgerEntry,
    LedgerTransaction,
    LotAllocation,
    PointLot,
)


def statement_query(user_id: int, *, date_from: date | None = None, date_to: date | None = None, kind: str = ""):
    """The participant's wallet entries, newest first, each with its transaction loaded."""
    query = (
        select(LedgerEntry)
        .join(Account, Account.id == LedgerEntry.account_id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(Account.code == f"{WALLET}:{user_id}")
        .options(
            joinedload(LedgerEntry.transaction).joinedload(LedgerTransaction.actor),
            joinedload(LedgerEntry.transaction).joinedload(LedgerTransaction.reverses),
        )
        .order_by(LedgerEntry.id.desc())
    )
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
    personal = dict(db.session.execute(
        select(Account.kind, func.coalesce(func.sum(Account.balance), 0))
        .where(Account.kind.in_([WALLET, HELD, DEBT])).group_by(Account.kind)
    ).all())
    with_points = db.session.scalar(select(func.count(Account.id)).where(Account.kind == WALLET, Account.balance > 0))
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


def check_ledger() -> list[str]:
    """Recompute what the ledger keeps and report every difference. An empty list means all is right."""
    problems = []
    unbalanced = db.session.execute(
        select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount))
        .group_by(LedgerEntry.transaction_id).having(func.sum(LedgerEntry.amount) != 0)
    ).all()
    problems += [f"transaction {tid}: entries sum to {total}, not 0" for tid, total in unbalanced]

    sums = (
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount).label("total"))
        .group_by(LedgerEntry.account_id).subquery()
    )
    wrong_balance = db.session.execute(
        select(Account.code, Account.balance, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.account_id == Account.id)
        .where(Account.balance != func.coalesce(sums.c.total, 0))
    ).all()
    problems += [f"account {code}: stored balance {stored}, entries say {sum_}" for code, stored, sum_ in wrong_balance]

    last_entry = (
        select(LedgerEntry.account_id, func.max(LedgerEntry.id).label("last_id")).group_by(LedgerEntry.account_id)
        .subquery()
    )
    wrong_running = db.session.execute(
        select(Account.code, Account.balance, LedgerEntry.balance_after)
        .join(last_entry, last_entry.c.account_id == Account.id)
        .join(LedgerEntry, LedgerEntry.id == last_entry.c.last_id)
        .where(LedgerEntry.balance_after != Account.balance)
    ).all()
    problems += [f"account {code}: balance {b}, last running balance {r}" for code, b, r in wrong_running]

    negative = db.session.scalars(
        select(Account.code).where(
            (Account.kind.in_([WALLET, HELD]) & (Account.balance < 0))
            | ((Account.kind == DEBT) & (Account.balance > 0))
        )
    ).all()
    problems += [f"account {code}: balance on the wrong side of zero" for code in negative]

    allocated = (
        select(LotAllocation.lot_id, func.sum(LotAllocation.amount).label("taken")).group_by(LotAllocation.lot_id)
        .subquery()
    )
    wrong_lots = db.session.execute(
        select(PointLot.id, PointLot.remaining, PointLot.amount - func.coalesce(allocated.c.taken, 0))
        .outerjoin(allocated, allocated.c.lot_id == PointLot.id)
        .where(PointLot.remaining != PointLot.amount - func.coalesce(allocated.c.taken, 0))
    ).all()
    problems += [f"lot {lot}: remaining {r}, allocations say {a}" for lot, r, a in wrong_lots]

    lot_sums = (
        select(PointLot.account_id, func.sum(PointLot.remaining).label("remaining")).group_by(PointLot.account_id)
        .subquery()
    )
    wallets_vs_lots = db.session.execute(
        select(Account.code, Account.balance, func.coalesce(lot_sums.c.remaining, 0))
        .outerjoin(lot_sums, lot_sums.c.account_id == Account.id)
        .where(Account.kind == WALLET, Account.balance != func.coalesce(lot_sums.c.remaining, 0))
    ).all()
    problems += [f"account {code}: balance {b}, its lots hold {r}" for code, b, r in wallets_vs_lots]
    return problems
