"""Personal sales plans: a target per participant, period and metric."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.extensions import db

# Metrics a plan can target. Money is in kopecks, like everywhere else.
SALES_AMOUNT = "sales_amount"
UNITS = "units"
MARGIN = "margin"
APPROVED_CLAIMS = "approved_claims"
METRICS = (SALES_AMOUNT, UNITS, MARGIN, APPROVED_CLAIMS)
METRIC_LABELS = {
    SALES_AMOUNT: _l("Sales amount"),
    UNITS: _l("Units sold"),
    MARGIN: _l("Margin"),
    APPROVED_CLAIMS: _l("Approved sales"),
}
MONEY_METRICS = (SALES_AMOUNT, MARGIN)

MONTH = "month"
QUARTER = "quarter"
PERIOD_KINDS = (MONTH, QUARTER)
PERIOD_LABELS = {MONTH: _l("Month"), QUARTER: _l("Quarter")}


class SalesPlan(db.Model):
    """A participant's target for one period. `target` is in kopecks for money metrics, else a count.

    `period_start` is the first day of the month or quarter; `period_end` its last day.
    """

    __tablename__ = "sales_plans"
    __table_args__ = (
        UniqueConstraint("user_id", "metric", "period_start", name="one_per_person_metric_period"),
        CheckConstraint(f"metric IN {METRICS}", name="metric_known"),
        CheckConstraint(f"period_kind IN {PERIOD_KINDS}", name="period_kind_known"),
        CheckConstraint("target > 0", name="target_positive"),
        CheckConstraint("period_end >= period_start", name="period_ordered"),
        Index("ix_sales_plans_period_metric", "period_start", "metric"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    metric: Mapped[str] = mapped_column(String(20))
    period_kind: Mapped[str] = mapped_column(String(10), default=MONTH)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    target: Mapped[int] = mapped_column(BigInteger)
    # Where the target came from: "manual", "import", "copy", "default".
    source: Mapped[str] = mapped_column(String(10), default="manual")
    # The day the target starts counting when it was pro-rated for someone who joined mid-period;
    # None means the period's first day. Pace ("where you should be by today") runs from here.
    starts_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id])
    updated_by = relationship("User", foreign_keys=[updated_by_id])

    @property
    def metric_label(self) -> str:
        return str(METRIC_LABELS[self.metric])


SOURCES = ("manual", "import", "copy", "default")


class PlanActual(db.Model):
    """What a participant sold in one calendar month, from their approved claims (by invoice date).

    Kept up to date by the claim_approved and claim_reversed events in the same transaction, so plan
    pages read one row per person and month; `recompute_actuals()` rebuilds it from the claims.
    """

    __tablename__ = "plan_actuals"
    __table_args__ = (UniqueConstraint("user_id", "month", name="one_per_person_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    month: Mapped[date] = mapped_column(Date, index=True)  # the month's first day
    sales_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # kopecks
    units: Mapped[int] = mapped_column(BigInteger, default=0)
    margin: Mapped[int] = mapped_column(BigInteger, default=0)  # kopecks, each line's margin never below zero
    approved_claims: Mapped[int] = mapped_column(BigInteger, default=0)


class PlanDefault(db.Model):
    """A target for everyone in an audience or a group who has no plan of their own for the period.

    It is materialised as SalesPlan rows with source 'default' when set, and for people who register
    during the period (pro-rated); a plan set by hand, imported or copied is never overwritten.
    """

    __tablename__ = "plan_defaults"
    __table_args__ = (
        CheckConstraint(f"metric IN {METRICS}", name="metric_known"),
        CheckConstraint(f"period_kind IN {PERIOD_KINDS}", name="period_kind_known"),
        CheckConstraint("target > 0", name="target_positive"),
        CheckConstraint("audience IS NULL OR audience IN ('manager', 'specialist')", name="audience_known"),
        Index("ix_plan_defaults_period", "period_start", "period_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(20))
    period_kind: Mapped[str] = mapped_column(String(10), default=MONTH)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    target: Mapped[int] = mapped_column(BigInteger)
    audience: Mapped[str | None] = mapped_column(String(16))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("partner_groups.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    group = relationship("PartnerGroup")

    @property
    def metric_label(self) -> str:
        return str(METRIC_LABELS[self.metric])


class CompanyPlan(db.Model):
    """A partner company's target as a whole for one period: its approved sales, by the company each sale belonged
    to on its invoice date, whoever sold. `target` is in kopecks for money metrics, else a count."""

    __tablename__ = "company_plans"
    __table_args__ = (
        UniqueConstraint("company_id", "metric", "period_start", name="one_per_company_metric_period"),
        CheckConstraint(f"metric IN {METRICS}", name="metric_known"),
        CheckConstraint(f"period_kind IN {PERIOD_KINDS}", name="period_kind_known"),
        CheckConstraint("target > 0", name="target_positive"),
        CheckConstraint("period_end >= period_start", name="period_ordered"),
        Index("ix_company_plans_period_metric", "period_start", "metric"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("partner_companies.id"), index=True)
    metric: Mapped[str] = mapped_column(String(20))
    period_kind: Mapped[str] = mapped_column(String(10), default=MONTH)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    target: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(10), default="manual")  # "manual" or "import"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    company = relationship("PartnerCompany")

    # A company's plan is never pro-rated: pace runs from the period's first day (Progress reads this).
    starts_on = None

    @property
    def metric_label(self) -> str:
        return str(METRIC_LABELS[self.metric])


class CompanyPlanActual(db.Model):
    """What a partner company sold in one calendar month: the approved claims recorded for it (the company the
    seller belonged to on the invoice date), by invoice date. Kept by the same claim events as PlanActual;
    `recompute_company_actuals()` rebuilds it from the claims."""

    __tablename__ = "company_plan_actuals"
    __table_args__ = (UniqueConstraint("company_id", "month", name="one_per_company_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("partner_companies.id"), index=True)
    month: Mapped[date] = mapped_column(Date, index=True)  # the month's first day
    sales_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # kopecks
    units: Mapped[int] = mapped_column(BigInteger, default=0)
    margin: Mapped[int] = mapped_column(BigInteger, default=0)  # kopecks, each line's margin never below zero
    approved_claims: Mapped[int] = mapped_column(BigInteger, default=0)
