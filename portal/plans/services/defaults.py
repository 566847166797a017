"""Default targets: one target for everyone in an audience or group (or everyone) without a plan of their own.

Pro-rata: a default target for someone who registered after the period began covers only the days
from their registration to the period's end (rounded up to a whole unit, a whole rouble for money),
and their pace counts from that day."""

import math
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit import services as audit
from portal.auth.models import AUDIENCES, PARTNER_ROLES, User
from portal.core.errors import DomainError
from portal.core.time import local_date, utcnow
from portal.core.time import today as today_
from portal.extensions import db
from portal.partners.models import GroupMembership
from portal.plans.models import (
    METRICS,
    MONEY_METRICS,
    PlanDefault,
    SalesPlan,
)
from portal.plans.periods import Period
from portal.plans.services.progress import pace_fraction
from portal.plans.services.targets import MAX_TARGET


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
    audit.record(audit.PLAN_DEFAULT_SET, actor=actor, object_type="group" if group_id else None, object_id=group_id,
                 changes={"metric": metric, "period": period.key, "audience": audience, "target": target})
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
