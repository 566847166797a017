"""Progress against plans: each plan's actual (the approved sales of plans/actuals.py), pace, the plan lists
and their export."""

import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from portal.auth.models import AUDIENCES, User
from portal.core.sql import lower_text
from portal.core.time import today as today_
from portal.extensions import db
from portal.partners.models import GroupMembership, PartnerCompany
from portal.plans.actuals import actuals_for, company_actuals_for
from portal.plans.models import (
    METRICS,
    MONEY_METRICS,
    CompanyPlan,
    PlanActual,
    SalesPlan,
)
from portal.plans.periods import Period


def plan_targets(user_ids: list[int] | None, metric: str, start: date, end: date) -> dict[int, int]:
    """Sum of each person's plan targets for `metric` over the plans whose period lies within [start, end].

    Contests on "% of personal plan" divide the person's actual by this. People without a plan are absent.
    """
    query = select(SalesPlan.user_id, SalesPlan.target).where(
        SalesPlan.metric == metric, SalesPlan.period_start >= start, SalesPlan.period_end <= end)
    if user_ids is not None:
        query = query.where(SalesPlan.user_id.in_(user_ids))
    totals: dict[int, int] = {}
    for user_id, target in db.session.execute(query):
        totals[user_id] = totals.get(user_id, 0) + target
    return totals


def pace_fraction(plan_start: date, period_end: date, on: date) -> tuple[int, int]:
    """(days passed, days counted): the share of the target a steady seller has reached by `on`."""
    span = (period_end - plan_start).days + 1
    passed = min(max((on - plan_start).days + 1, 0), span)
    return passed, span


@dataclass
class Progress:
    plan: SalesPlan
    actual: int
    today: date

    @property
    def metric(self) -> str:
        return self.plan.metric

    @property
    def is_money(self) -> bool:
        return self.plan.metric in MONEY_METRICS

    @property
    def percent(self) -> int:
        """Actual as a whole percent of the target, rounded down (99.6% is not yet 100%)."""
        return self.actual * 100 // self.plan.target

    @property
    def starts_on(self) -> date:
        return self.plan.starts_on or self.plan.period_start

    @property
    def expected(self) -> int:
        """Where a steady seller would be by today: the target times the share of days passed."""
        passed, span = pace_fraction(self.starts_on, self.plan.period_end, self.today)
        unit = 100 if self.is_money else 1  # whole roubles for money
        return min(self.plan.target, math.ceil(self.plan.target * passed / span / unit) * unit)

    @property
    def pace_percent(self) -> int:
        passed, span = pace_fraction(self.starts_on, self.plan.period_end, self.today)
        return passed * 100 // span

    @property
    def behind(self) -> bool:
        passed, span = pace_fraction(self.starts_on, self.plan.period_end, self.today)
        return self.actual * span < self.plan.target * passed and self.actual < self.plan.target

    @property
    def done(self) -> bool:
        return self.actual >= self.plan.target

    @property
    def left(self) -> int:
        return max(0, self.plan.target - self.actual)


def with_progress(plans: list[SalesPlan], on: date | None = None) -> list[Progress]:
    """Attach each plan's actual; one query per distinct period among the plans (usually one)."""
    on = on or today_()
    by_period: dict[tuple, list[SalesPlan]] = {}
    for plan in plans:
        by_period.setdefault((plan.period_kind, plan.period_start, plan.period_end), []).append(plan)
    actual: dict[int, int] = {}
    for (kind, start, end), group in by_period.items():
        sums = actuals_for(sorted({p.user_id for p in group}), Period(kind, start, end))
        for plan in group:
            actual[plan.id] = sums.get(plan.user_id, {}).get(plan.metric, 0)
    return [Progress(plan, actual[plan.id], on) for plan in plans]


def current_plans(user: User, on: date | None = None) -> list[Progress]:
    """The participant's plans for the periods running today, months first."""
    on = on or today_()
    plans = list(db.session.scalars(
        select(SalesPlan).where(SalesPlan.user_id == user.id, SalesPlan.period_start <= on,
                                SalesPlan.period_end >= on)
        .order_by(SalesPlan.period_end)))
    plans.sort(key=lambda p: (p.period_end, METRICS.index(p.metric)))
    return with_progress(plans, on)


def past_plans(user: User, on: date | None = None, limit: int = 24) -> list[Progress]:
    on = on or today_()
    plans = list(db.session.scalars(
        select(SalesPlan).where(SalesPlan.user_id == user.id, SalesPlan.period_end < on)
        .order_by(SalesPlan.period_start.desc(), SalesPlan.metric).limit(limit)))
    return with_progress(plans, on)


def _actual_column(period: Period):
    sums = (select(PlanActual.user_id.label("user_id"),
                   *[func.sum(getattr(PlanActual, m)).label(m) for m in METRICS])
            .where(PlanActual.month >= period.start, PlanActual.month <= period.end)
            .group_by(PlanActual.user_id).subquery())
    actual = func.coalesce(case(*[(SalesPlan.metric == m, sums.c[m]) for m in METRICS], else_=0), 0)
    return sums, actual


def search_plans(period: Period, *, metric: str = "", group_id: int | None = None, company_id: int | None = None,
                 behind: bool = False, q: str = "", on: date | None = None, audience: str = "",
                 order: str = ""):
    """The select behind the managers' and partner admins' plan lists, for one period.

    Filters combine; "behind pace" compares actual x days counted with target x days passed in SQL,
    one comparison per distinct pro-rata start in the period (a handful at most). `order="percent"` ranks
    by the share of the plan done, best first (whole percent, as the list shows it), then by name."""
    on = on or today_()
    sums, actual = _actual_column(period)
    query = (select(SalesPlan).join(User, User.id == SalesPlan.user_id)
             .outerjoin(sums, sums.c.user_id == SalesPlan.user_id)
             .where(SalesPlan.period_kind == period.kind, SalesPlan.period_start == period.start)
             .options(selectinload(SalesPlan.user).selectinload(User.company)))
    if order == "percent":
        query = query.order_by((actual * 100 / SalesPlan.target).desc(), User.full_name, User.id, SalesPlan.metric)
    else:
        query = query.order_by(User.full_name, User.id, SalesPlan.metric)
    if audience in AUDIENCES:
        query = query.where(User.audience == audience)
    if metric in METRICS:
        query = query.where(SalesPlan.metric == metric)
    if company_id:
        query = query.where(User.company_id == company_id)
    if group_id:
        query = query.where(User.company_id.in_(select(GroupMembership.company_id).where(
            GroupMembership.group_id == group_id, GroupMembership.removed_at.is_(None))))
    q = (q or "").strip()[:200]
    if q:
        query = query.where(or_(lower_text(User.full_name).like(f"%{q.lower()}%"),
                                User.email.like(f"%{q.lower()}%")))
    if behind:
        starts = db.session.scalars(select(SalesPlan.starts_on).distinct().where(
            SalesPlan.period_kind == period.kind, SalesPlan.period_start == period.start,
            SalesPlan.starts_on.is_not(None)))
        clauses = []
        for start in [None, *starts]:
            passed, span = pace_fraction(start or period.start, period.end, on)
            same_start = SalesPlan.starts_on.is_(None) if start is None else SalesPlan.starts_on == start
            clauses.append(and_(same_start, actual * span < SalesPlan.target * passed))
        query = query.where(or_(*clauses), actual < SalesPlan.target)
    return query


@dataclass
class CompanyProgress:
    company_id: int
    name: str
    people: int
    target: int
    actual: int
    # The company's own plan for the metric, when it has one, and the company's sales against it.
    company_target: int | None = None
    company_actual: int = 0

    @property
    def percent(self) -> int:
        return self.actual * 100 // self.target if self.target else 0

    @property
    def company_percent(self) -> int | None:
        return self.company_actual * 100 // self.company_target if self.company_target else None


def company_ranking(period: Period, metric: str, *, group_id: int | None = None, audience: str = "",
                    limit: int | None = 200) -> list[CompanyProgress]:
    """Companies by the plans of their people for one metric: the sum of what they did against the sum of their
    targets, best share first. Only people with a plan for the metric count, on both sides."""
    sums, actual = _actual_column(period)
    query = (select(PartnerCompany.id, PartnerCompany.name, func.count(SalesPlan.id),
                    func.sum(SalesPlan.target), func.sum(actual))
             .select_from(SalesPlan).join(User, User.id == SalesPlan.user_id)
             .join(PartnerCompany, PartnerCompany.id == User.company_id)
             .outerjoin(sums, sums.c.user_id == SalesPlan.user_id)
             .where(SalesPlan.period_kind == period.kind, SalesPlan.period_start == period.start,
                    SalesPlan.metric == metric)
             .group_by(PartnerCompany.id, PartnerCompany.name))
    in_group = select(GroupMembership.company_id).where(GroupMembership.group_id == group_id,
                                                        GroupMembership.removed_at.is_(None))
    if audience in AUDIENCES:
        query = query.where(User.audience == audience)
    if group_id:
        query = query.where(User.company_id.in_(in_group))
    rows = {row[0]: CompanyProgress(*row[:3], int(row[3] or 0), int(row[4] or 0)) for row in db.session.execute(query)}
    # The companies' own plans, beside the sum of their people's (a company with only its own plan is listed too).
    plans = (select(CompanyPlan.company_id, PartnerCompany.name, CompanyPlan.target)
             .join(PartnerCompany, PartnerCompany.id == CompanyPlan.company_id)
             .where(CompanyPlan.period_kind == period.kind, CompanyPlan.period_start == period.start,
                    CompanyPlan.metric == metric))
    if group_id:
        plans = plans.where(CompanyPlan.company_id.in_(in_group))
    own = {company_id: (name, target) for company_id, name, target in db.session.execute(plans)}
    sold = company_actuals_for(sorted(own), period)
    for company_id, (name, target) in own.items():
        row = rows.setdefault(company_id, CompanyProgress(company_id, name, 0, 0, 0))
        row.company_target, row.company_actual = target, sold.get(company_id, {}).get(metric, 0)
    ranked = sorted(rows.values(), key=lambda r: (-r.percent, -r.actual, -(r.company_percent or 0), r.name))
    return ranked if limit is None else ranked[:limit]


def export_rows(progress: list[Progress]) -> list[list]:
    rows = []
    for item in progress:
        plan, user = item.plan, item.plan.user
        money = item.is_money
        rows.append([
            user.full_name, user.email, user.company.name if user.company else "", plan.metric_label,
            plan.target / 100 if money else plan.target, item.actual / 100 if money else item.actual,
            item.percent, item.expected / 100 if money else item.expected, item.behind, plan.source,
        ])
    return rows
