"""A personal referral link per participant, the referral a registration through it records, and the bonus settings.

A referral belongs to its invitee (one referrer per person, never oneself). Its state moves once: waiting for the
invitee's first approved sale, then paid (exactly one ledger transaction, key `referral:<invitee id>`) or not paid
with the reason (the referrer's cap for the period was reached, or the bonus was off)."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.core.time import utcnow
from portal.extensions import db

MONTH, QUARTER, YEAR = "month", "quarter", "year"
PERIODS = (MONTH, QUARTER, YEAR)
PERIOD_LABELS = {MONTH: _l("month"), QUARTER: _l("quarter"), YEAR: _l("year")}

WAITING, PAID, NOT_PAID = "waiting", "paid", "not_paid"
STATES = (WAITING, PAID, NOT_PAID)

CAP_REACHED, BONUS_OFF = "cap_reached", "bonus_off"
REASONS = (CAP_REACHED, BONUS_OFF)
REASON_LABELS = {
    CAP_REACHED: _l("the limit of referral bonuses for the period was reached"),
    BONUS_OFF: _l("the referral bonus was switched off"),
}


def bonus_key(invitee_id: int) -> str:
    """The idempotency key of the one bonus an invitee can bring."""
    return f"referral:{invitee_id}"


class ReferralSettings(db.Model):
    """The referral bonus the program manager sets: one row."""

    __tablename__ = "referral_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("cap_per_period IS NULL OR cap_per_period > 0", name="cap_positive"),
        CheckConstraint(f"cap_period IN {PERIODS}", name="period_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    active: Mapped[bool] = mapped_column(default=False)
    points: Mapped[int] = mapped_column(default=500)
    # At most this many bonuses per referrer in one calendar month, quarter or year (NULL: no limit).
    cap_per_period: Mapped[int | None] = mapped_column(default=5)
    cap_period: Mapped[str] = mapped_column(String(8), default=MONTH)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def cap_period_label(self) -> str:
        return str(PERIOD_LABELS.get(self.cap_period, self.cap_period))


class ReferralCode(db.Model):
    """A participant's personal link code. A new link disables the old one; one link is open per person."""

    __tablename__ = "referral_codes"
    __table_args__ = (
        Index("ux_referral_codes_open_per_user", "user_id", unique=True,
              sqlite_where=text("disabled_at IS NULL"), postgresql_where=text("disabled_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Referral(db.Model):
    """Who brought whom, and what the invitee's first approved sale paid the referrer."""

    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint("referrer_id != invitee_id", name="not_oneself"),
        CheckConstraint(f"status IN {STATES}", name="status_known"),
        CheckConstraint("reason IS NULL OR reason IN " + str(REASONS), name="reason_known"),
        CheckConstraint("(status = 'waiting') = (first_sale_at IS NULL)", name="first_sale_decides"),
        CheckConstraint("status != 'paid' OR (transaction_id IS NOT NULL AND bonus_points > 0 AND paid_on IS NOT NULL"
                        " AND reason IS NULL)", name="paid_has_transaction"),
        CheckConstraint("status != 'not_paid' OR (transaction_id IS NULL AND reason IS NOT NULL)",
                        name="not_paid_has_reason"),
        CheckConstraint("status != 'waiting' OR (transaction_id IS NULL AND reason IS NULL)", name="waiting_is_open"),
        Index("ix_referrals_referrer_paid_on", "referrer_id", "paid_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    invitee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    code_id: Mapped[int | None] = mapped_column(ForeignKey("referral_codes.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(10), default=WAITING)
    first_sale_at: Mapped[datetime | None]
    first_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="SET NULL"))
    bonus_points: Mapped[int | None]
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"), unique=True)
    paid_on: Mapped[date | None]  # the program-calendar day the bonus was paid: the period it counts in
    reason: Mapped[str | None] = mapped_column(String(16))

    referrer: Mapped[User] = relationship(foreign_keys=[referrer_id])
    invitee: Mapped[User] = relationship(foreign_keys=[invitee_id])

    @property
    def reason_label(self) -> str:
        return str(REASON_LABELS.get(self.reason, "")) if self.reason else ""
