"""Earning rules: how an approved claim turns into points."""

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.localized import in_locale
from portal.core.time import utcnow
from portal.extensions import db

PER_UNIT = "per_unit"
REVENUE_PCT = "revenue_pct"
MARGIN_PCT = "margin_pct"
FIXED_PER_CLAIM = "fixed_per_claim"
MULTIPLIER = "multiplier"
LINE_KINDS = (PER_UNIT, REVENUE_PCT, MARGIN_PCT)
KINDS = (*LINE_KINDS, FIXED_PER_CLAIM, MULTIPLIER)
KIND_LABELS = {
    PER_UNIT: _l("Points per unit"),
    REVENUE_PCT: _l("Percent of revenue"),
    MARGIN_PCT: _l("Percent of margin"),
    FIXED_PER_CLAIM: _l("Fixed points per approved claim"),
    MULTIPLIER: _l("Campaign multiplier"),
}
CAP_PERIODS = ("month", "quarter", "year")
CAP_PERIOD_LABELS = {"month": _l("per month"), "quarter": _l("per quarter"), "year": _l("per year")}


class EarningRule(db.Model):
    __tablename__ = "earning_rules"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS}", name="kind_known"),
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from", name="window_ordered"),
        CheckConstraint("cap_per_claim IS NULL OR cap_per_claim > 0", name="claim_cap_positive"),
        CheckConstraint("cap_per_period IS NULL OR cap_per_period > 0", name="period_cap_positive"),
        CheckConstraint(f"cap_period IN {CAP_PERIODS}", name="cap_period_known"),
        CheckConstraint("audience IS NULL OR audience IN ('manager', 'specialist')", name="audience_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))  # optional English name; Russian when empty
    kind: Mapped[str] = mapped_column(String(20))
    # Points per unit, a percent, fixed points, or a factor (2 = double points), by kind.
    value: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    # Scope: empty lists mean "any".
    product_ids: Mapped[list] = mapped_column(JSON, default=list)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    company_ids: Mapped[list] = mapped_column(JSON, default=list)
    # Partner groups: the claim's company must be in one of them on the invoice date.
    group_ids: Mapped[list] = mapped_column(JSON, default=list)
    audience: Mapped[str | None] = mapped_column(String(16))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # Higher first. Of the exclusive (non-stacking) rules matching a line only the highest applies;
    # stacking rules always add up.
    priority: Mapped[int] = mapped_column(default=100)
    stackable: Mapped[bool] = mapped_column(default=True)
    cap_per_claim: Mapped[int | None]
    cap_per_period: Mapped[int | None]
    cap_period: Mapped[str] = mapped_column(String(10), default="month")
    active: Mapped[bool] = mapped_column(default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by = relationship("User")

    @property
    def display_name(self) -> str:
        return in_locale(self.name, self.name_en)

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])
