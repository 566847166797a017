"""Personal sales plans: targets, where they come from, and progress against approved sales.

Actuals (plans/actuals.py) are the participant's approved claims whose invoice date falls in the period,
kept per person and month; imports from spreadsheets live in plans/imports.py.

Pro-rata: a default target for someone who registered after the period began covers only the days
from their registration to the period's end (rounded up to a whole unit, a whole rouble for money),
and their pace counts from that day. Targets set by hand, imported or copied are taken as given.
"""

import math
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from portal.auth.models import AUDIENCES, PARTNER_ROLES, User
from portal.core.errors import DomainError
from portal.core.sql import lower_text
from portal.core.time import local_date, utcnow
from portal.core.time import today as today_
from portal.extensions import db
from portal.partners.models import GroupMembership
from portal.plans.actuals import actuals_for
from portal.plans.models import (
    METRICS,
    MONEY_METRICS,
    PERIOD_LABELS,
    PlanActual,
    PlanDefault,
    SalesPlan,
)
from portal.plans.periods import Period
from portal.products.services import parse_money

MAX_TARGET = 10**13  # kopecks or units: far above any real plan, far below integer overflow


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


# --- progress --------------------------------------------------------------------------------------


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
                 behind: bool = False, q: str = "", on: date | None = None):
    """The select behind the managers' and partner admins' plan lists, for one period.

    Filters combine; "behind pace" compares actual x days counted with target x days passed in SQL,
    one comparison per distinct pro-rata start in the period (a handful at most)."""
    on = on or today_()
    sums, actual = _actual_column(period)
    query = (select(SalesPlan).join(User, User.id == SalesPlan.user_id)
             .outerjoin(sums, sums.c.user_id == SalesPlan.user_id)
             .where(SalesPlan.period_kind == period.kind, SalesPlan.period_start == period.start)
             .options(selectinload(SalesPlan.user).selectinload(User.company))
             .order_by(User.full_name, User.id, SalesPlan.metric))
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


# --- setting targets -------------------------------------------------------------------------------


def parse_target(metric: str, text) -> int:
    """A target as typed: roubles ('150 000', '150000,50') for money metrics, a whole number otherwise."""
    if metric not in METRICS:
        raise DomainError(_l("Choose the metric."), field="metric")
    if metric in MONEY_METRICS:
        value = parse_money(text)
    else:
        raw = str(text if text is not None else "").replace("\xa0", "").replace(" ", "").strip()
        if isinstance(text, float) and text.is_integer():
            raw = str(int(text))
        value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 15 else None
    if value is None or value <= 0:
        raise DomainError(_l("Enter a positive target: roubles for money, a whole number otherwise."),
                          field="target")
    if value > MAX_TARGET:
        raise DomainError(_l("The target is too large."), field="target")
    return value


def _check_person(user: User | None) -> User:
    if user is None or user.role not in PARTNER_ROLES:
        raise DomainError(_l("Plans are set for partner staff only."), field="email")
    return user


def find_plan(user_id: int, metric: str, period: Period) -> SalesPlan | None:
    return db.session.scalar(select(SalesPlan).where(
        SalesPlan.user_id == user_id, SalesPlan.metric == metric, SalesPlan.period_start == period.start))


def set_plan(user: User, metric: str, period: Period, target: int, actor: User, source: str = "manual") -> SalesPlan:
    """Set a person's target for a period: a new plan, or a new target for the existing one."""
    _check_person(user)
    if metric not in METRICS:
        raise DomainError(_l("Choose the metric."), field="metric")
    if not 0 < target <= MAX_TARGET:
        raise DomainError(_l("Enter a positive target: roubles for money, a whole number otherwise."),
                          field="target")
    existing = find_plan(user.id, metric, period)
    if existing is not None and existing.period_kind != period.kind:
        raise DomainError(_l("This person already has a %(kind)s plan for this metric starting that day.",
                             kind=str(_period_kind_label(existing.period_kind)).lower()), field="period")
    plan = existing or SalesPlan(user_id=user.id, metric=metric, period_kind=period.kind,
                                 period_start=period.start, period_end=period.end)
    if existing is None:
        db.session.add(plan)
    plan.target = target
    plan.source = source
    plan.starts_on = None
    plan.updated_by_id = actor.id
    plan.updated_at = utcnow()
    db.session.flush()
    return plan


def _period_kind_label(kind: str):
    return PERIOD_LABELS[kind]


def delete_plan(plan: SalesPlan) -> None:
    db.session.delete(plan)
    db.session.flush()


def copy_previous_period(period: Period, actor: User, metric: str = "") -> tuple[int, int]:
    """Give everyone who had a plan in the previous period the same target now, unless they have one.

    Only people still active in the program. Returns (copied, kept: people who already had a plan)."""
    previous = period.previous()
    query = (select(SalesPlan).join(User, User.id == SalesPlan.user_id)
             .where(SalesPlan.period_kind == period.kind, SalesPlan.period_start == previous.start,
                    User.active.is_(True), User.role.in_(PARTNER_ROLES)))
    if metric in METRICS:
        query = query.where(SalesPlan.metric == metric)
    sources = list(db.session.scalars(query))
    if not sources:
        raise DomainError(_l("Nobody had a plan in %(period)s: there is nothing to copy.", period=previous.label))
    have = set(db.session.execute(select(SalesPlan.user_id, SalesPlan.metric).where(
        SalesPlan.period_start == period.start)).all())
    copied = kept = 0
    now = utcnow()
    for plan in sources:
        if (plan.user_id, plan.metric) in have:
            kept += 1
            continue
        db.session.add(SalesPlan(user_id=plan.user_id, metric=plan.metric, period_kind=period.kind,
                                 period_start=period.start, period_end=period.end, target=plan.target,
                                 source="copy", updated_by_id=actor.id, updated_at=now, created_at=now))
        copied += 1
    db.session.flush()
    return copied, kept


# --- defaults --------------------------------------------------------------------------------------


def prorated(target: int, metric: str, period: Period, joined: date) -> tuple[int, date | None] | None:
    """A default target for someone who joined on `joined`: whole if before the period, the share of
    days left if during it (rounded up to a whole unit or rouble), None if after it ended."""
    if joined <= period.start:
        return target, None
    if joined > period.end:
        return None
    passed, span = pace_fraction(joined, period.end, period.end)
    unit = 100 if metric in MONEY_METRICS else 1
    share = math.ceil(target * span / period.days / unit) * unit
    return max(unit, min(share, target)), joined


def _people_in_scope(default: PlanDefault, user_ids: list[int] | None = None):
    query = select(User).where(User.role.in_(PARTNER_ROLES), User.active.is_(True))
    if default.audience:
        query = query.where(User.audience == default.audience)
    if default.group_id:
        query = query.where(User.company_id.in_(select(GroupMembership.company_id).where(
            GroupMembership.group_id == default.group_id, GroupMembership.removed_at.is_(None))))
    if user_ids is not None:
        query = query.where(User.id.in_(user_ids))
    return query


@dataclass
class DefaultResult:
    created: int = 0
    updated: int = 0
    kept: int = 0
    kept_names: list[str] = field(default_factory=list)


def materialise_default(default: PlanDefault, actor_id: int | None, user_ids: list[int] | None = None) -> DefaultResult:
    """Write the default as plans (source 'default') for the people in its scope.

    A plan set by hand, imported or copied is kept as it is; an earlier default is replaced."""
    period = Period(default.period_kind, default.period_start, default.period_end)
    people = list(db.session.scalars(_people_in_scope(default, user_ids)))
    existing = {p.user_id: p for p in db.session.scalars(select(SalesPlan).where(
        SalesPlan.metric == default.metric, SalesPlan.period_start == period.start,
        SalesPlan.user_id.in_([u.id for u in people])))}
    result = DefaultResult()
    now = utcnow()
    for person in people:
        share = prorated(default.target, default.metric, period, local_date(person.created_at))
        if share is None:
            continue
        target, starts_on = share
        plan = existing.get(person.id)
        if plan is not None and (plan.source != "default" or plan.period_kind != period.kind):
            result.kept += 1
            continue
        if plan is None:
            plan = SalesPlan(user_id=person.id, metric=default.metric, period_kind=period.kind,
                             period_start=period.start, period_end=period.end, source="default", created_at=now)
            db.session.add(plan)
            result.created += 1
        else:
            result.updated += 1
        plan.target = target
        plan.starts_on = starts_on
        plan.updated_by_id = actor_id
        plan.updated_at = now
    db.session.flush()
    return result


def set_default(period: Period, metric: str, target: int, actor: User, audience: str | None = None,
                group_id: int | None = None) -> tuple[PlanDefault, DefaultResult]:
    """Set the target for everyone in an audience or group (or everyone) without a plan of their own."""
    if metric not in METRICS:
        raise DomainError(_l("Choose the metric."), field="metric")
    if audience and audience not in AUDIENCES:
        raise DomainError(_l("Choose the audience."), field="audience")
    if not 0 < target <= MAX_TARGET:
        raise DomainError(_l("Enter a positive target: roubles for money, a whole number otherwise."),
                          field="target")
    if period.end < today_():
        raise DomainError(_l("The period is over: defaults are for the current and coming periods."), field="period")
    default = db.session.scalar(select(PlanDefault).where(
        PlanDefault.period_start == period.start, PlanDefault.period_kind == period.kind,
        PlanDefault.metric == metric,
        PlanDefault.audience.is_(None) if audience is None else PlanDefault.audience == audience,
        PlanDefault.group_id.is_(None) if group_id is None else PlanDefault.group_id == group_id))
    if default is None:
        default = PlanDefault(period_kind=period.kind, period_start=period.start, period_end=period.end,
                              metric=metric, audience=audience or None, group_id=group_id)
        db.session.add(default)
    default.target = target
    default.created_by_id = actor.id
    default.created_at = utcnow()
    db.session.flush()
    return default, materialise_default(default, actor.id)


def defaults_for(period: Period) -> list[PlanDefault]:
    return list(db.session.scalars(select(PlanDefault).where(
        PlanDefault.period_start == period.start, PlanDefault.period_kind == period.kind)
        .order_by(PlanDefault.created_at, PlanDefault.id)))


def apply_defaults_to(user: User, on: date | None = None) -> int:
    """Give a newcomer the defaults of the periods running now, pro-rated; the one set last wins."""
    on = on or today_()
    defaults = list(db.session.scalars(select(PlanDefault).where(
        PlanDefault.period_start <= on, PlanDefault.period_end >= on)
        .order_by(PlanDefault.created_at, PlanDefault.id)))
    written = 0
    for default in defaults:
        result = materialise_default(default, None, [user.id])
        written += result.created + result.updated
    return written


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

