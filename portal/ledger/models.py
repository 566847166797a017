"""The points ledger: accounts, transactions and their entries, and the lots that expire.

Transactions and entries are append-only: the ORM refuses to update or delete them, and so does the
database (triggers created by the migration). A correction is a reversing transaction.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.extensions import db

# Each participant has three accounts of their own.
WALLET = "wallet"  # points they can spend; never below zero
HELD = "held"  # points set aside for an order that is not paid yet
DEBT = "debt"  # points clawed back after they were spent, to settle from future earnings; never above zero
PERSONAL_KINDS = (WALLET, HELD, DEBT)
# The program's own accounts: where points come from and where they go.
ISSUANCE = "issuance"
REDEMPTION = "redemption"
EXPIRY = "expiry"
ADJUSTMENT = "adjustment"
COPAY = "copay"
SYSTEM_KINDS = (ISSUANCE, REDEMPTION, EXPIRY, ADJUSTMENT, COPAY)
ACCOUNT_KINDS = PERSONAL_KINDS + SYSTEM_KINDS


def account_code(kind: str, user_id: int | None = None) -> str:
    """An account's unique code: "wallet:42", "held:42", "debt:42" or "system:issuance"."""
    return f"system:{kind}" if kind in SYSTEM_KINDS else f"{kind}:{user_id}"


# What a transaction does, for statements and filters.
EARN = "earn"
SPEND = "spend"
HOLD = "hold"
EXPIRE = "expire"
ADJUST = "adjust"
REVERSAL = "reversal"
TRANSACTION_KINDS = (EARN, SPEND, HOLD, EXPIRE, ADJUST, REVERSAL)
TRANSACTION_KIND_LABELS = {
    EARN: _l("Earned"),
    SPEND: _l("Spent"),
    HOLD: _l("Held for an order"),
    EXPIRE: _l("Expired"),
    ADJUST: _l("Adjustment"),
    REVERSAL: _l("Reversal"),
}


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a ledger row."""


class Account(db.Model):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint(f"kind IN {ACCOUNT_KINDS}", name="kind_known"),
        CheckConstraint(f"kind != '{WALLET}' OR balance >= 0", name="wallet_not_negative"),
        CheckConstraint(f"kind != '{HELD}' OR balance >= 0", name="held_not_negative"),
        CheckConstraint(f"kind != '{DEBT}' OR balance <= 0", name="debt_not_positive"),
        CheckConstraint(
            f"(kind IN {PERSONAL_KINDS}) = (user_id IS NOT NULL)", name="personal_accounts_have_an_owner"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "wallet:42", "held:42", "debt:42" or "system:issuance": one account per code.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Kept in the same database transaction as the entries; `portal check-ledger` recomputes it.
    balance: Mapped[int] = mapped_column(default=0)

    user = relationship("User")


class LedgerTotal(db.Model):
    """Per kind of personal account (wallet, held, debt): the sum of their balances and how many hold points.
    Kept by the same statement that posts (services/builder.py), so totals are read instead of summed."""

    __tablename__ = "ledger_totals"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger)
    accounts_with_points: Mapped[int]


class LedgerTransaction(db.Model):
    __tablename__ = "ledger_transactions"
    __table_args__ = (
        CheckConstraint(f"kind IN {TRANSACTION_KINDS}", name="kind_known"),
        Index("ix_ledger_transactions_source", "source_type", "source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    # A digest of what the transaction moves: the same key with other content is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    memo: Mapped[str | None] = mapped_column(String(500))
    # Values the statement's translated description is built from (an invoice number, a course title...).
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    entries = relationship("LedgerEntry", back_populates="transaction", order_by="LedgerEntry.id")
    actor = relationship("User")
    reverses = relationship("LedgerTransaction", remote_side=[id], foreign_keys=[reverses_id])


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount != 0", name="amount_not_zero"),
        # Covering indexes (migration 0020; on SQLite the covered columns are key columns): statements page by
        # (account, id); check-ledger sums per account, per transaction and cumulatively from the indexes alone.
        Index("ix_ledger_entries_account_running", "account_id", "id",
              postgresql_include=["amount", "balance_after"]),
        Index("ix_ledger_entries_transaction_amount", "transaction_id", postgresql_include=["amount"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int]
    # The account's balance right after this entry: statements show a running balance without summing.
    balance_after: Mapped[int]

    transaction = relationship(LedgerTransaction, back_populates="entries")
    account = relationship(Account)


class PointLot(db.Model):
    """Points earned together, which expire together. A wallet's balance equals its lots' remainders."""

    __tablename__ = "ledger_lots"
    __table_args__ = (
        CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining_within_amount"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_ledger_lots_account_open", "account_id", "expires_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), unique=True)
    amount: Mapped[int]
    remaining: Mapped[int]
    earned_at: Mapped[datetime]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)


class LotAllocation(db.Model):
    """How much of which lot a debit took, so that reversing the debit gives back the same lots."""

    __tablename__ = "ledger_lot_allocations"
    # Positive: points taken from the lot; negative: points given back by a reversal.
    __table_args__ = (
        CheckConstraint("amount != 0", name="amount_not_zero"),
        Index("ix_ledger_lot_allocations_lot_amount", "lot_id", postgresql_include=["amount"]),  # migration 0020
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("ledger_lots.id"))
    amount: Mapped[int]


@event.listens_for(LedgerTransaction, "before_update")
@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LotAllocation, "before_update")
def _refuse_update(mapper, connection, target):
    raise AppendOnlyError(f"{type(target).__name__} rows are append-only: post a reversal instead")


@event.listens_for(LedgerTransaction, "before_delete")
@event.listens_for(LedgerEntry, "before_delete")
@event.listens_for(LotAllocation, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AppendOnlyError(f"{type(target).__name__} rows are never deleted: post a reversal instead")
