"""The source report: how each source channel (or participant, or company) turns leads into sales, and
what those leads cost in points."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from portal.auth.models import User
from portal.claims.models import APPROVED, Claim, ClaimLine
from portal.core.time import local_day_start
from portal.extensions import db
from portal.partners.models import PartnerCompany
from portal.program.services import get_settings

from .models import WON, Lead, LeadAward, LeadChannel

GROUPS = {"channel": _l("Source channel"), "participant": _l("Participant"), "company": _l("Company")}
_KEYS = {"channel": Lead.channel_id, "participant": Lead.user_id, "company": Lead.company_id}


@dataclass
class Row:
    key: int | None
    label: str
    submitted: int = 0
    qualified: int = 0
    won: int = 0
    revenue_kopecks: int = 0
    margin_kopecks: int = 0
    points: int = 0
    point_value_kopecks: int = 100

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def qualified_rate(self):
        return self._share(self.qualified, self.submitted)

    @property
    def won_rate(self):
        return self._share(self.won, self.qualified)

    @property
    def overall_rate(self):
        return self._share(self.won, self.submitted)

    @property
    def cost_kopecks(self) -> int:
        return self.points * self.point_value_kopecks

    @property
    def cost_per_qualified_kopecks(self) -> int | None:
        return round(self.cost_kopecks / self.qualified) if self.qualified else None

    @property
    def cost_per_won_kopecks(self) -> int | None:
        return round(self.cost_kopecks / self.won) if self.won else None

    @property
    def return_on_points(self) -> Decimal | None:
        """Attributed revenue per rouble of points spent on the leads."""
        if not self.cost_kopecks:
            return None
        return (Decimal(self.revenue_kopecks) / Decimal(self.cost_kopecks)).quantize(Decimal("0.1"))


@dataclass
class Report:
    group: str
    date_from: date | None
    date_to: date | None
    rows: list[Row] = field(default_factory=list)
    total: Row | None = None

    @property
    def max_submitted(self) -> int:
        return max((r.submitted for r in self.rows), default=0)

    @property
    def max_revenue(self) -> int:
        return max((r.revenue_kopecks for r in self.rows), default=0)


def _labels(group: str, keys: set) -> dict:
    if not keys:
        return {}
    if group == "channel":
        return {c.id: c.name for c in db.session.scalars(select(LeadChannel).where(LeadChannel.id.in_(keys)))}
    if group == "participant":
        return {u.id: u.full_name for u in db.session.scalars(select(User).where(User.id.in_(keys)))}
    return {c.id: c.name for c in db.session.scalars(select(PartnerCompany).where(PartnerCompany.id.in_(keys)))}


def source_report(group: str = "channel", date_from: date | None = None, date_to: date | None = None) -> Report:
    """Leads registered in the period, by group: the funnel, the sales they brought and what they cost."""
    key = _KEYS[group]
    period = []
    if date_from:
        period.append(Lead.submitted_at >= local_day_start(date_from))
    if date_to:
        period.append(Lead.submitted_at < local_day_start(date_to + timedelta(days=1)))
    point_value = get_settings().point_value_kopecks
    rows: dict = {}

    def row(k) -> Row:
        return rows.setdefault(k, Row(k, "", point_value_kopecks=point_value))

    funnel = select(key, func.count(Lead.id), func.count(Lead.qualified_at),
                    func.sum(case((Lead.status == WON, 1), else_=0))).where(*period).group_by(key)
    for k, submitted, qualified, won in db.session.execute(funnel):
        r = row(k)
        r.submitted, r.qualified, r.won = submitted, qualified, int(won or 0)
    sales = (select(key, func.sum(ClaimLine.quantity * ClaimLine.unit_price_kopecks),
                    func.sum(ClaimLine.quantity * (ClaimLine.unit_price_kopecks - ClaimLine.unit_cost_kopecks)))
             .select_from(Claim).join(ClaimLine, ClaimLine.claim_id == Claim.id).join(Lead, Lead.id == Claim.lead_id)
             .where(Claim.status == APPROVED, *period).group_by(key))
    for k, revenue, margin in db.session.execute(sales):
        r = row(k)
        r.revenue_kopecks, r.margin_kopecks = int(revenue or 0), int(margin or 0)
    paid = (select(key, func.sum(LeadAward.points)).select_from(LeadAward).join(Lead, Lead.id == LeadAward.lead_id)
            .where(LeadAward.reversed_at.is_(None), *period).group_by(key))
    for k, points in db.session.execute(paid):
        row(k).points = int(points or 0)
    labels = _labels(group, {k for k in rows if k is not None})
    for k, r in rows.items():
        r.label = labels.get(k, "—")
    ordered = sorted(rows.values(), key=lambda r: (-r.submitted, r.label))
    total = Row(None, _("Total"), point_value_kopecks=point_value)
    for r in ordered:
        for name in ("submitted", "qualified", "won", "revenue_kopecks", "margin_kopecks", "points"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return Report(group, date_from, date_to, ordered, total)


def _rate(value) -> float | str:
    return "" if value is None else round(value * 100, 1)


def _rub(kopecks) -> float | str:
    return "" if kopecks is None else round(kopecks / 100, 2)


def export_rows(report: Report) -> tuple[list[str], list[list]]:
    header = [str(GROUPS[report.group]), _("Leads registered"), _("Leads qualified"), _("Deals won"),
              _("Qualified of registered, %"), _("Won of qualified, %"), _("Attributed revenue, RUB"),
              _("Attributed margin, RUB"), _("Points paid"), _("Cost, RUB"), _("Cost per qualified lead, RUB"),
              _("Cost per won deal, RUB"), _("Revenue per 1 RUB of points")]
    rows = [[r.label, r.submitted, r.qualified, r.won, _rate(r.qualified_rate), _rate(r.won_rate),
             _rub(r.revenue_kopecks), _rub(r.margin_kopecks), r.points, _rub(r.cost_kopecks),
             _rub(r.cost_per_qualified_kopecks), _rub(r.cost_per_won_kopecks),
             "" if r.return_on_points is None else float(r.return_on_points)]
            for r in [*report.rows, report.total]]
    return header, rows
