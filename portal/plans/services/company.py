"""A partner company's plan as a whole: its target for a period, and progress against the approved sales recorded
for the company (the seller's company on the invoice date, whoever sold)."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit import services as audit
from portal.auth.models import User
from portal.core.errors import DomainError
from portal.core.time import today as today_
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import APPROVED, PartnerCompany
from portal.partners.services import find_company_by_inn
from portal.plans.actuals import company_actuals_for
from portal.plans.models import METRICS, MONEY_METRICS, PERIOD_LABELS, CompanyPlan
from portal.plans.periods import Period
from portal.plans.services.progress import Progress
from portal.plans.services.targets import MAX_TARGET


def company_for_plan(inn) -> PartnerCompany:
    """The approved partner company with this INN, for a plan typed or imported by INN."""
    text = str(inn if inn is not None else "").strip()
    company = find_company_by_inn(text) if text else None
    if company is None or company.status != APPROVED:
        raise DomainError(_l("No partner company of the program has this INN."), field="inn")
    return company


def find_company_plan(company_id: int, metric: str, period: Period) -> CompanyPlan | None:
    return db.session.scalar(select(CompanyPlan).where(
        CompanyPlan.company_id == company_id, CompanyPlan.metric == metric, CompanyPlan.period_start == period.start))


def set_company_plan(company: PartnerCompany, metric: str, period: Period, target: int, actor: User,
                     source: str = "manual") -> CompanyPlan:
    """Set a company's target for a period: a new plan, or a new target for the existing one."""
    if company is None or company.status != APPROVED:
        raise DomainError(_l("No partner company of the program has this INN."), field="inn")
    if metric not in METRICS:
        raise DomainError(_l("Choose the metric."), field="metric")
    if not 0 < target <= MAX_TARGET:
        raise DomainError(_l("Enter a positive target: roubles for money, a whole number otherwise."),
                          field="target")
    existing = find_company_plan(company.id, metric, period)
    if existing is not None and existing.period_kind != period.kind:
        raise DomainError(_l("This company already has a %(kind)s plan for this metric starting that day.",
                             kind=str(PERIOD_LABELS[existing.period_kind]).lower()), field="period")
    audit.record(audit.PLAN_SET, actor=actor, object_type="company", object_id=company.id, changes={
        "metric": metric, "period": period.key, "source": source,
        "target_kopecks" if metric in MONEY_METRICS else "target": [existing.target if existing else None, target]})
    plan = existing or CompanyPlan(company_id=company.id, metric=metric, period_kind=period.kind,
                                   period_start=period.start, period_end=period.end)
    if existing is None:
        db.session.add(plan)
    plan.target = target
    plan.source = source
    plan.updated_by_id = actor.id
    plan.updated_at = utcnow()
    db.session.flush()
    return plan


def delete_company_plan(plan: CompanyPlan, actor: User | None = None) -> None:
    audit.record(audit.PLAN_DELETED, actor=actor, object_type="company", object_id=plan.company_id, changes={
        "metric": plan.metric, "period": str(plan.period_start), "target": plan.target})
    db.session.delete(plan)
    db.session.flush()


def company_progress(plans: list[CompanyPlan], on: date | None = None) -> list[Progress]:
    """Each company plan with its actual: one read per distinct period among the plans (usually one)."""
    on = on or today_()
    by_period: dict[tuple, list[CompanyPlan]] = {}
    for plan in plans:
        by_period.setdefault((plan.period_kind, plan.period_start, plan.period_end), []).append(plan)
    actual: dict[int, int] = {}
    for (kind, start, end), group in by_period.items():
        sums = company_actuals_for(sorted({p.company_id for p in group}), Period(kind, start, end))
        for plan in group:
            actual[plan.id] = sums.get(plan.company_id, {}).get(plan.metric, 0)
    return [Progress(plan, actual[plan.id], on) for plan in plans]


def current_company_plans(company_id: int | None, on: date | None = None) -> list[Progress]:
    """The company's plans for the periods running on the day, months first."""
    if company_id is None:
        return []
    on = on or today_()
    plans = list(db.session.scalars(select(CompanyPlan).where(
        CompanyPlan.company_id == company_id, CompanyPlan.period_start <= on, CompanyPlan.period_end >= on)))
    plans.sort(key=lambda p: (p.period_end, METRICS.index(p.metric)))
    return company_progress(plans, on)


def company_plans_in(period: Period, *, company_id: int | None = None, metric: str = "",
                     company_ids=None) -> list[Progress]:
    """The company plans of one period (optionally one company, one metric, or companies among `company_ids`, a
    select of ids), by company name, with their progress."""
    query = (select(CompanyPlan).join(PartnerCompany, PartnerCompany.id == CompanyPlan.company_id)
             .where(CompanyPlan.period_kind == period.kind, CompanyPlan.period_start == period.start)
             .order_by(PartnerCompany.name, PartnerCompany.id, CompanyPlan.metric))
    if company_id:
        query = query.where(CompanyPlan.company_id == company_id)
    if metric in METRICS:
        query = query.where(CompanyPlan.metric == metric)
    if company_ids is not None:
        query = query.where(CompanyPlan.company_id.in_(company_ids))
    return company_progress(list(db.session.scalars(query)))
