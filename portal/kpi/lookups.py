"""What the drill-down pages list: groups and companies with their actuals, and the people a manager acts on."""

from collections import defaultdict

from sqlalchemy import exists, select

from portal.auth.models import PARTNER_ROLES, User
from portal.claims.models import APPROVED, Claim
from portal.extensions import db
from portal.groups.services import all_groups
from portal.kpi.models import COMPANY, GROUP, KpiCounter, KpiStage, KpiStageResult
from portal.kpi.table import breakdown, group_company_keys
from portal.partners.models import GroupMembership, PartnerCompany, PartnerGroup
from portal.training.models import CourseCompletion

LIST_LIMIT = 200


def company_totals(stage_ids: list[int], group_id: int | None = None) -> dict[str, dict[str, int]]:
    """Each company's counters summed over the stages (of one group, or all): one grouped read."""
    return breakdown(stage_ids, COMPANY, group_company_keys(group_id) if group_id is not None else None)


def companies_with_actuals(stage_ids: list[int], group_id: int | None = None, limit: int = 20,
                           totals: dict | None = None) -> list[dict]:
    """Companies by approved sales over the stages, best first: name, counters, and the people who sold and who
    were trained there over the stages, each counted once (`selling_people`, `people_trained`)."""
    totals = company_totals(stage_ids, group_id) if totals is None else totals
    ranked = sorted(totals.items(), key=lambda item: (-item[1]["sales_amount"], -item[1]["registered"], item[0]))
    ranked = ranked[:limit]
    ids = [int(k) for k, _v in ranked if k.isdigit()]
    names = dict(db.session.execute(select(PartnerCompany.id, PartnerCompany.name)
                                    .where(PartnerCompany.id.in_(ids))).all())
    return [{"id": int(k), "name": names.get(int(k), "?"), **v, "selling_people": v["first_selling"],
             "people_trained": v["first_trained"]} for k, v in ranked if k.isdigit()]


def groups_with_actuals(stage_ids: list[int]) -> list[dict]:
    """Groups with their own counters over the stages (what happened while each company belonged to the group),
    and how many companies each holds today."""
    totals = breakdown(stage_ids, GROUP)
    members: dict[int, int] = defaultdict(int)
    for group_id, _company_id in db.session.execute(select(GroupMembership.group_id, GroupMembership.company_id)
                                                    .where(GroupMembership.removed_at.is_(None)).distinct()):
        members[group_id] += 1
    result = [{"id": group.id, "name": group.name, "companies": members.get(group.id, 0),
               **totals.get(str(group.id), {})} for group in all_groups()]
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


def _sales_by_scope(stage_ids: list[int], kind: str = COMPANY):
    """(scope key, sales) rows of the stages: stored results for closed stages, live counters otherwise."""
    from sqlalchemy import union_all

    closed = select(KpiStage.id).where(KpiStage.id.in_(stage_ids), KpiStage.closed_at.is_not(None))
    live = select(KpiStage.id).where(KpiStage.id.in_(stage_ids), KpiStage.closed_at.is_(None))
    parts = [select(model.scope_key.label("key"), model.sales_amount.label("sales"))
             .where(model.stage_id.in_(ids), model.scope_kind == kind)
             for model, ids in ((KpiStageResult, closed), (KpiCounter, live))]
    return union_all(*parts).subquery()


def top_companies(stage_ids: list[int], limit: int = 5) -> list[dict]:
    """The companies with the most sales over the stages, summed in the database (the dashboard's list)."""
    from sqlalchemy import func

    rows = _sales_by_scope(stage_ids)
    total = func.sum(rows.c.sales)
    ranked = db.session.execute(select(rows.c.key, total).group_by(rows.c.key).order_by(total.desc(), rows.c.key)
                                .limit(limit)).all()
    ids = [int(k) for k, _v in ranked if k.isdigit()]
    names = dict(db.session.execute(select(PartnerCompany.id, PartnerCompany.name)
                                    .where(PartnerCompany.id.in_(ids))).all())
    return [{"id": int(k), "name": names.get(int(k), "?"), "sales_amount": int(v or 0)} for k, v in ranked
            if k.isdigit()]


def top_groups(stage_ids: list[int], limit: int = 5) -> list[dict]:
    """Groups by their own sales over the stages (sales dated while the company belonged to the group), summed
    in the database."""
    from sqlalchemy import String, cast, func

    rows = _sales_by_scope(stage_ids, GROUP)
    total = func.coalesce(func.sum(rows.c.sales), 0)
    ranked = db.session.execute(
        select(PartnerGroup.id, PartnerGroup.name, total)
        .join(rows, rows.c.key == cast(PartnerGroup.id, String))
        .group_by(PartnerGroup.id, PartnerGroup.name).order_by(total.desc(), PartnerGroup.name).limit(limit)).all()
    return [{"id": g, "name": n, "sales_amount": int(v or 0)} for g, n, v in ranked]
