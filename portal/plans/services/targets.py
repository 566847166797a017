"""Setting targets: one person's plan by hand, copying the previous period, reading a target as typed.
Targets set by hand, imported or copied are taken as given."""

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit import services as audit
from portal.auth.models import PARTNER_ROLES, User
from portal.core.errors import DomainError
from portal.core.fields import normalise_number
from portal.core.formatting import number
from portal.core.time import utcnow
from portal.extensions import db
from portal.plans.models import (
    METRICS,
    MONEY_METRICS,
    PERIOD_LABELS,
    SalesPlan,
)
from portal.plans.periods import Period
from portal.products.services import parse_money

MAX_TARGET = 10**13  # kopecks or units: far above any real plan, far below integer overflow


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
    if value is None and _typed_amount(text) > MAX_TARGET / (100 if metric in MONEY_METRICS else 1):
        value = MAX_TARGET + 1  # a number, only past what a plan may hold: say so, not "enter a positive target"
    if value is None or value <= 0:
        raise DomainError(_l("Enter a positive target: roubles for money, a whole number otherwise."),
                          field="target")
    if value > MAX_TARGET:
        raise target_too_large(metric)
    return value


def target_too_large(metric: str) -> DomainError:
    """"Too large", with the largest target the metric allows, in roubles for money."""
    if metric in MONEY_METRICS:
        return DomainError(_l("The target is too large: at most %(max)s roubles.", max=number(MAX_TARGET // 100)),
                           field="target")
    return DomainError(_l("The target is too large: at most %(max)s.", max=number(MAX_TARGET)), field="target")


def _typed_amount(text) -> Decimal:
    """The number typed, however large (0 when it is not a number), to tell a huge target from a mistyped one."""
    if isinstance(text, int | float):
        text = repr(text)
    cleaned = normalise_number(re.sub(r"₽|руб\.?|RUB", "", str(text or "")[:100], flags=re.IGNORECASE)) or ""
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return Decimal(0)
    return amount if amount.is_finite() else Decimal(0)


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
    audit.record(audit.PLAN_SET, actor=actor, object_type="user", object_id=user.id, changes={
        "metric": metric, "period": period.key, "source": source,
        "target_kopecks" if metric in MONEY_METRICS else "target": [existing.target if existing else None, target]})
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
    audit.record(audit.PLAN_DELETED, object_type="user", object_id=plan.user_id, changes={
        "metric": plan.metric, "period": str(plan.period_start), "target": plan.target})
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
    audit.record(audit.PLANS_COPIED, actor=actor, changes={"period": period.key, "rows": copied})
    return copied, kept
