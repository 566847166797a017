"""What the drill-down pages list: groups and companies with their actuals, and the people a manager acts on."""

from sqlalchemy import Integer, String, cast, exists, func, or_, select, union_all

from portal.auth.models import PARTNER_ROLES, User
from portal.claims.models import APPROVED, Claim
from portal.extensions import db
from portal.kpi.models import (
    COMPANY,
    COUNTER_METRICS,
    GROUP,
    TOTALED,
    TOTALED_SCOPES,
    KpiCounter,
    KpiScopeTotal,
    KpiStage,
    KpiStageResult,
)
from portal.kpi.table import group_company_keys
from portal.partners.models import GroupMembership, PartnerCompany, PartnerGroup
from portal.training.models import CourseCompletion

LIST_LIMIT = 200


# What the drill-down lists show of each company or group (summing only these keeps a large program's list cheap).
LISTED = ("registered", "sales_amount", "claims_approved", "first_selling", "first_trained")


def summed(stage_ids: list[int], kind: str, keys: list[str] | None = None, metrics=COUNTER_METRICS):
    """Each scope of a kind with its counters summed over the stages (stored results of the closed ones, live
    counters of the others), as a subquery (`key` and a column per metric) for the database to rank and limit:
    one statement, whatever the number of stages and scopes.

    Companies and groups keep these sums over every stage (KpiScopeTotal): when the stages asked for are all the
    stages with figures of that kind (the usual case: the started ones, later stages being empty), the totals are
    read, a row per scope; otherwise the stages' rows are summed. The database decides which, in the statement."""
    parts = []
    others_have_rows = []
    for model, closed in ((KpiStageResult, True), (KpiCounter, False)):
        state = KpiStage.closed_at.is_not(None) if closed else KpiStage.closed_at.is_(None)
        stages = select(KpiStage.id).where(KpiStage.id.in_(stage_ids), state)
        part = select(model.scope_key.label("key"), *(getattr(model, m).label(m) for m in metrics)).where(
            model.stage_id.in_(stages), model.scope_kind == kind)
        parts.append(part if keys is None else part.where(model.scope_key.in_(keys)))
        others = select(KpiStage.id).where(KpiStage.id.not_in(stage_ids), state)
        others_have_rows.append(exists().where(model.stage_id.in_(others), model.scope_kind == kind))
    if kind in TOTALED_SCOPES and set(metrics) <= set(TOTALED):
        from_totals = or_(*others_have_rows)
        kept = select(KpiScopeTotal.scope_key.label("key"), *(getattr(KpiScopeTotal, m).label(m) for m in metrics))\
            .where(KpiScopeTotal.scope_kind == kind, ~from_totals)
        parts = [kept if keys is None else kept.where(KpiScopeTotal.scope_key.in_(keys)),
                 *(part.where(from_totals) for part in parts)]
    rows = union_all(*parts).subquery()
    return select(rows.c.key, *(func.coalesce(func.sum(rows.c[m]), 0).label(m) for m in metrics)) \
        .group_by(rows.c.key).subquery()


def companies_with_actuals(stage_ids: list[int], group_id: int | None = None, limit: int = 20) -> list[dict]:
    """Companies by approved sales over the stages, best first: name, the LISTED counters, and the people who
    sold and who were trained there over the stages, each counted once (`selling_people`, `people_trained`).
    Summed, ranked and named in the database: one statement however many companies there are."""
    totals = summed(stage_ids, COMPANY, group_company_keys(group_id) if group_id is not None else None, LISTED)
    order = (totals.c.sales_amount.desc(), totals.c.registered.desc(), totals.c.key)
    best = select(totals).order_by(*order).limit(limit).subquery()  # ranked first, then named: a join per row
    ranked = db.session.execute(
        select(PartnerCompany.id, PartnerCompany.name, *(best.c[m] for m in LISTED))
        .join(PartnerCompany, PartnerCompany.id == cast(best.c.key, Integer))
        .order_by(best.c.sales_amount.desc(), best.c.registered.desc(), best.c.key))
    result = []
    for company_id, name, *sums in ranked:
        values = {m: int(v or 0) for m, v in zip(LISTED, sums, strict=True)}
        result.append({"id": company_id, "name": name, **values, "selling_people": values["first_selling"],
                       "people_trained": values["first_trained"]})
    return result


def groups_with_actuals(stage_ids: list[int]) -> list[dict]:
    """Groups with their own LISTED counters over the stages (what happened while each company belonged to the group),
    and how many companies each holds today: one statement."""
    totals = summed(stage_ids, GROUP, metrics=LISTED)
    members = (select(func.count(func.distinct(GroupMembership.company_id)))
               .where(GroupMembership.group_id == PartnerGroup.id, GroupMembership.removed_at.is_(None))
               .scalar_subquery())
    rows = db.session.execute(
        select(PartnerGroup.id, PartnerGroup.name, members, *(totals.c[m] for m in LISTED))
        .outerjoin(totals, totals.c.key == cast(PartnerGroup.id, String))
        .order_by(PartnerGroup.name, PartnerGroup.id))
    result = []
    for group_id, name, companies, *sums in rows:
        values = {m: int(v) for m, v in zip(LISTED, sums, strict=True) if v is not None}
        result.append({"id": group_id, "name": name, "companies": int(companies or 0), **values})
    return sorted(result, key=lambda g: -g.get("sales_amount", 0))


def _company_people(company_id: int):
    return select(User).where(User.company_id == company_id, User.role.in_(PARTNER_ROLES), User.active.is_(True))


def never_sold(company_id: int) -> list:
    """Registered but never had an approved sale: whom to call first."""
    sold = exists().where(Claim.user_id == User.id, Claim.status == APPROVED)
    return list(db.session.scalars(_company_people(company_id).where(~sold).order_by(User.created_at)
                                   .limit(LIST_LIMIT)))


def not_trained(company_id: int) -> list:
    passed = exists().where(CourseCompletion.user_id == User.id)
    return list(db.session.scalars(_company_people(company_id).where(~passed).order_by(User.created_at)
                                   .limit(LIST_LIMIT)))


def top_companies(stage_ids: list[int], limit: int = 5) -> list[dict]:
    """The companies with the most sales over the stages, summed, ranked and named in the database (the
    dashboard's list)."""
    rows = summed(stage_ids, COMPANY, metrics=("sales_amount",))
    best = select(rows.c.key, rows.c.sales_amount.label("total")) \
        .order_by(rows.c.sales_amount.desc(), rows.c.key).limit(limit).subquery()
    ranked = db.session.execute(
        select(PartnerCompany.id, PartnerCompany.name, best.c.total)
        .join(PartnerCompany, PartnerCompany.id == cast(best.c.key, Integer))
        .order_by(best.c.total.desc(), best.c.key)).all()
    return [{"id": company_id, "name": name, "sales_amount": int(v or 0)} for company_id, name, v in ranked]


def top_groups(stage_ids: list[int], limit: int = 5) -> list[dict]:
    """Groups by their own sales over the stages (sales dated while the company belonged to the group), summed
    in the database."""
    rows = summed(stage_ids, GROUP, metrics=("sales_amount",))
    total = rows.c.sales_amount
    ranked = db.session.execute(
        select(PartnerGroup.id, PartnerGroup.name, total)
        .join(rows, rows.c.key == cast(PartnerGroup.id, String))
        .order_by(total.desc(), PartnerGroup.name).limit(limit)).all()
    return [{"id": g, "name": n, "sales_amount": int(v or 0)} for g, n, v in ranked]
