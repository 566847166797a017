"""What the drill-down pages list: groups and companies with their actuals, and the people a manager acts on."""

import functools

from sqlalchemy import Integer, String, bindparam, cast, exists, func, or_, select, union_all

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


STAGES, KEYS, LIMIT = (bindparam("stage_ids", expanding=True), bindparam("scope_keys", expanding=True),
                       bindparam("limit"))


def summed(kind: str, with_keys: bool = False, metrics=COUNTER_METRICS):
    """Each scope of a kind with its counters summed over the stages given as `stage_ids` (stored results of the
    closed ones, live counters of the others), as a subquery (`key` and a column per metric) for the database to
    rank and limit: one statement, whatever the number of stages and scopes. With `with_keys`, only the scopes
    given as `scope_keys`. The statements are built once (functools.cache below), the values bound per request.

    Companies and groups keep these sums over every stage (KpiScopeTotal): when the stages asked for are all the
    stages with figures of that kind (the usual case: the started ones, later stages being empty), the totals are
    read, a row per scope; otherwise the stages' rows are summed. The database decides which, in the statement."""
    models = ((KpiStageResult, KpiStage.closed_at.is_not(None)), (KpiCounter, KpiStage.closed_at.is_(None)))
    totaled = kind in TOTALED_SCOPES and set(metrics) <= set(TOTALED)
    # Whether stages other than these have figures of the kind (then the totals are not these stages' sums).
    others_have_rows = or_(*(exists().where(model.stage_id.in_(select(KpiStage.id).where(
        KpiStage.id.not_in(STAGES), state)), model.scope_kind == kind) for model, state in models))
    parts = []
    for model, state in models:
        stages = select(KpiStage.id).where(KpiStage.id.in_(STAGES), state)
        if totaled:  # the stages' rows are read only when the totals are not theirs: the list of stages is empty
            stages = stages.where(others_have_rows)
        part = select(model.scope_key.label("key"), *(getattr(model, m).label(m) for m in metrics)).where(
            model.stage_id.in_(stages), model.scope_kind == kind)
        parts.append(part.where(model.scope_key.in_(KEYS)) if with_keys else part)
    if totaled:
        kept = select(KpiScopeTotal.scope_key.label("key"), *(getattr(KpiScopeTotal, m).label(m) for m in metrics))\
            .where(KpiScopeTotal.scope_kind == kind, ~others_have_rows)
        parts.append(kept.where(KpiScopeTotal.scope_key.in_(KEYS)) if with_keys else kept)
    rows = union_all(*parts).subquery()
    return select(rows.c.key, *(func.coalesce(func.sum(rows.c[m]), 0).label(m) for m in metrics)) \
        .group_by(rows.c.key).subquery()


@functools.cache
def _companies_statement(with_keys: bool):
    totals = summed(COMPANY, with_keys, LISTED)
    order = (totals.c.sales_amount.desc(), totals.c.registered.desc(), totals.c.key)
    best = select(totals).order_by(*order).limit(LIMIT).subquery()  # ranked first, then named: a join per row
    return select(PartnerCompany.id, PartnerCompany.name, *(best.c[m] for m in LISTED)) \
        .join(PartnerCompany, PartnerCompany.id == cast(best.c.key, Integer)) \
        .order_by(best.c.sales_amount.desc(), best.c.registered.desc(), best.c.key)


def companies_with_actuals(stage_ids: list[int], group_id: int | None = None, limit: int = 20) -> list[dict]:
    """Companies by approved sales over the stages, best first: name, the LISTED counters, and the people who
    sold and who were trained there over the stages, each counted once (`selling_people`, `people_trained`).
    Summed, ranked and named in the database: one statement however many companies there are."""
    params = {"stage_ids": list(stage_ids), "limit": limit}
    if group_id is not None:
        params["scope_keys"] = group_company_keys(group_id)
    ranked = db.session.execute(_companies_statement(group_id is not None), params)
    result = []
    for company_id, name, *sums in ranked:
        values = {m: int(v or 0) for m, v in zip(LISTED, sums, strict=True)}
        result.append({"id": company_id, "name": name, **values, "selling_people": values["first_selling"],
                       "people_trained": values["first_trained"]})
    return result


@functools.cache
def _groups_statement():
    totals = summed(GROUP, metrics=LISTED)
    members = (select(func.count(func.distinct(GroupMembership.company_id)))
               .where(GroupMembership.group_id == PartnerGroup.id, GroupMembership.removed_at.is_(None))
               .scalar_subquery())
    return select(PartnerGroup.id, PartnerGroup.name, members, *(totals.c[m] for m in LISTED)) \
        .outerjoin(totals, totals.c.key == cast(PartnerGroup.id, String)).order_by(PartnerGroup.name, PartnerGroup.id)


def groups_with_actuals(stage_ids: list[int]) -> list[dict]:
    """Groups with their own LISTED counters over the stages (what happened while each company belonged to the group),
    and how many companies each holds today: one statement."""
    rows = db.session.execute(_groups_statement(), {"stage_ids": list(stage_ids)})
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


@functools.cache
def _top_companies_statement():
    rows = summed(COMPANY, metrics=("sales_amount",))
    best = select(rows.c.key, rows.c.sales_amount.label("total")) \
        .order_by(rows.c.sales_amount.desc(), rows.c.key).limit(LIMIT).subquery()
    return select(PartnerCompany.id, PartnerCompany.name, best.c.total) \
        .join(PartnerCompany, PartnerCompany.id == cast(best.c.key, Integer)).order_by(best.c.total.desc(), best.c.key)


def top_companies(stage_ids: list[int], limit: int = 5) -> list[dict]:
    """The companies with the most sales over the stages, summed, ranked and named in the database (the
    dashboard's list)."""
    ranked = db.session.execute(_top_companies_statement(), {"stage_ids": list(stage_ids), "limit": limit}).all()
    return [{"id": company_id, "name": name, "sales_amount": int(v or 0)} for company_id, name, v in ranked]


@functools.cache
def _top_groups_statement():
    rows = summed(GROUP, metrics=("sales_amount",))
    return select(PartnerGroup.id, PartnerGroup.name, rows.c.sales_amount) \
        .join(rows, rows.c.key == cast(PartnerGroup.id, String)) \
        .order_by(rows.c.sales_amount.desc(), PartnerGroup.name).limit(LIMIT)


def top_groups(stage_ids: list[int], limit: int = 5) -> list[dict]:
    """Groups by their own sales over the stages (sales dated while the company belonged to the group), summed
    in the database."""
    ranked = db.session.execute(_top_groups_statement(), {"stage_ids": list(stage_ids), "limit": limit}).all()
    return [{"id": g, "name": n, "sales_amount": int(v or 0)} for g, n, v in ranked]
