"""Sales plans with their progress as a table: target, actual, completion and where a steady seller would be by
today, money in roubles; companies' own plans follow the people's. Immediate when short, written by the worker
when long."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.core.exports import INT, MONEY, PERCENT, Column, Table, Typed, export_builder
from portal.core.time import today
from portal.extensions import db
from portal.partners.models import GroupMembership
from portal.plans.models import MONTH
from portal.plans.periods import parse_period, period_of
from portal.plans.services import company_plans_in, search_plans, with_progress

CHUNK = 1000

SOURCE_LABELS = {"manual": _l("set by hand"), "import": _l("imported"), "copy": _l("copied"),
                 "default": _l("default plan")}


@export_builder("plans")
def plans_table(params: dict) -> Table:
    """params: the period's key and the plan list's filters (metric, group_id, company_id, behind, q). Read and
    given their progress a thousand plans at a time."""
    period = parse_period(params.get("period")) or period_of(MONTH, today())
    query = search_plans(period, metric=params.get("metric") or "", group_id=params.get("group_id"),
                         company_id=params.get("company_id"), behind=bool(params.get("behind")),
                         q=params.get("q") or "")
    # Companies' own plans, under the same filters (a search for a person's name or email lists people only).
    in_group = select(GroupMembership.company_id).where(GroupMembership.group_id == params["group_id"],
                                                        GroupMembership.removed_at.is_(None)) \
        if params.get("group_id") else None
    companies = [] if params.get("q") else [
        item for item in company_plans_in(period, company_id=params.get("company_id"),
                                          metric=params.get("metric") or "", company_ids=in_group)
        if item.behind or not params.get("behind")]
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) + len(companies)
    yes, no = _("yes"), _("no")
    whole = _("The company as a whole")

    def rows():
        offset = 0
        while chunk := db.session.scalars(query.offset(offset).limit(CHUNK)).all():
            for item in with_progress(chunk):
                plan, user = item.plan, item.plan.user
                kind = MONEY if item.is_money else INT
                yield [user.full_name, user.email, user.company.name if user.company else "", plan.metric_label,
                       Typed(plan.target, kind), Typed(item.actual, kind), item.percent, Typed(item.expected, kind),
                       yes if item.behind else no, str(SOURCE_LABELS.get(plan.source, plan.source))]
            offset += len(chunk)
        for item in companies:
            plan, kind = item.plan, MONEY if item.is_money else INT
            yield [whole, "", plan.company.name, plan.metric_label, Typed(plan.target, kind), Typed(item.actual, kind),
                   item.percent, Typed(item.expected, kind), yes if item.behind else no,
                   str(SOURCE_LABELS.get(plan.source, plan.source))]

    return Table(filename=f"plans-{period.key}", sheet_title=str(period.label), header=[
        Column(_("Participant")), Column(_("Email")), Column(_("Company")), Column(_("Metric")), Column(_("Target")),
        Column(_("Actual")), Column(_("Plan done"), PERCENT), Column(_("Expected by today")),
        Column(_("Behind pace")), Column(_("Source"))], rows=rows(), total=total)
