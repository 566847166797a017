"""The KPI scorecard, the prize fund budget and the people list with their KPI flags as tables, in the reader's
language, typed (money in roubles). The people list is registered here, where the flags are known; the people
page's export asks for it by name ("people"), so the partners package needs no KPI import."""

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.core.exports import DATE, INT, MONEY, PERCENT, TEXT, Column, Table, Typed, export_builder
from portal.core.time import local_date, today
from portal.extensions import db
from portal.kpi import stages
from portal.kpi.budget import Budget
from portal.kpi.models import PROGRAM, KpiPersonScope, KpiStage
from portal.kpi.table import Cell, Scorecard
from portal.partners.services import search_people


def _cell_values(cell: Cell, money: bool) -> list:
    if cell.share_target is not None:  # a share's planned percentage, compared with the share
        return [Typed(cell.share_target / 100, PERCENT), Typed(cell.share, PERCENT), Typed(cell.percent, PERCENT)]
    kind = MONEY if money else INT
    return [Typed(cell.target, kind), Typed(cell.actual, kind), Typed(cell.percent, PERCENT)]


def scorecard_table(card: Scorecard, filename: str) -> Table:
    """The KPI table in its own layout: a KPI per row, per stage plan, actual and completion, then the program
    total; money KPIs in roubles, shares and completion as percentages."""
    header = [Column(_("KPI"))]
    for name in [stage.name for stage in card.stages] + [_("Program total")]:
        header += [Column(_("%(stage)s: plan", stage=name)), Column(_("%(stage)s: actual", stage=name)),
                   Column(_("%(stage)s: completion, %%", stage=name), PERCENT)]
    rows = [[str(row.kpi.label)] + [v for cell in [*row.cells, row.total] for v in _cell_values(cell, row.kpi.money)]
            for row in card.rows]
    return Table(filename=filename, sheet_title=_("KPI"), header=header, rows=rows, total=len(rows))


def budget_table(budget: Budget, filename: str) -> Table:
    """The budget page as a table: a row per stage (fund, points issued, redeemed and expired, their value), then
    the program's total with the outstanding points, the liability now and the forecast liability at the end."""
    header = [Column(_("Stage"), TEXT), Column(_("Starts"), DATE), Column(_("Ends"), DATE),
              Column(_("Prize fund, RUB"), MONEY), Column(_("Points issued"), INT), Column(_("Redeemed"), INT),
              Column(_("Points expired"), INT), Column(_("Issued, RUB"), MONEY), Column(_("Redeemed, RUB"), MONEY),
              Column(_("Redeemed, share of the fund"), PERCENT), Column(_("Fund to date, RUB"), MONEY),
              Column(_("Redeemed to date, RUB"), MONEY), Column(_("Outstanding points"), INT),
              Column(_("Liability at the point value, RUB"), MONEY),
              Column(_("Forecast liability at the end, RUB"), MONEY)]
    rows = [[r.stage.name, r.stage.starts_on, r.stage.ends_on, r.budget, r.issued, r.redeemed, r.expired,
             r.issued_value, r.redeemed_value, r.redeemed_value * 100 / r.budget if r.budget else None,
             r.cumulative_budget, r.cumulative_redeemed_value, None, None, None] for r in budget.rows]
    rows.append([_("Program total"), None, None, budget.fund, budget.issued_total, budget.redeemed_total,
                 budget.expired_total, budget.issued_total * budget.point_value, budget.redeemed_value,
                 budget.redeemed_value * 100 / budget.fund if budget.fund else None, budget.fund,
                 budget.redeemed_value, budget.outstanding, budget.liability, budget.forecast.get("value")])
    return Table(filename=filename, sheet_title=_("Prize fund budget"), header=header, rows=rows, total=len(rows))


@export_builder("people")
def people_table(params: dict) -> Table:
    """params: the people list's filters (q, role, audience, company_id, status, group_id). A row per person with
    their KPI flags in the current stage (or the last one begun): selling, their first sale, a course passed; and
    whether they ever sold or passed a course in the program."""
    query = search_people(**{k: params.get(k) or ("" if k not in ("company_id", "group_id") else None)
                             for k in ("q", "role", "audience", "company_id", "status", "group_id")})
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    stage = stages.current_stage() or next((s for s in reversed(stages.all_stages()) if s.starts_on <= today()), None)
    this_stage = _person_counts(stage.id) if stage else {}
    firsts = dict(db.session.execute(
        select(KpiPersonScope.user_id, func.min(KpiStage.starts_on))
        .join(KpiStage, KpiStage.id == KpiPersonScope.stage_id)
        .where(KpiPersonScope.scope_kind == PROGRAM, KpiPersonScope.sales > 0).group_by(KpiPersonScope.user_id)).all())
    trained = set(db.session.scalars(select(KpiPersonScope.user_id).where(
        KpiPersonScope.scope_kind == PROGRAM, KpiPersonScope.courses > 0).distinct()))
    yes, no = _("yes"), _("no")
    name = stage.name if stage else "—"

    def rows():
        for p in db.session.scalars(query.execution_options(yield_per=1000)):
            sales, courses = this_stage.get(p.id, (0, 0))
            yield (p.full_name, p.email, p.phone or "", p.company.name if p.company else "",
                   p.company.inn if p.company else "", p.role_label, p.audience_label, yes if p.active else no,
                   local_date(p.created_at), sales, yes if sales else no,
                   yes if stage and firsts.get(p.id) == stage.starts_on else no, courses,
                   yes if p.id in firsts else no, yes if p.id in trained else no)

    return Table(filename=f"participants-{today():%Y%m%d}", sheet_title=_("Participants"), header=[
        Column(_("Name")), Column(_("Email")), Column(_("Phone")), Column(_("Company")), Column(_("INN")),
        Column(_("Role")), Column(_("Audience")), Column(_("Active")), Column(_("Registered"), DATE),
        Column(_("%(stage)s: approved sales", stage=name), INT), Column(_("%(stage)s: selling", stage=name)),
        Column(_("%(stage)s: first sale", stage=name)), Column(_("%(stage)s: courses passed", stage=name), INT),
        Column(_("Ever sold")), Column(_("Ever passed a course"))], rows=rows(), total=total)


def _person_counts(stage_id: int) -> dict[int, tuple[int, int]]:
    return {user_id: (sales, courses) for user_id, sales, courses in db.session.execute(
        select(KpiPersonScope.user_id, KpiPersonScope.sales, KpiPersonScope.courses).where(
            KpiPersonScope.stage_id == stage_id, KpiPersonScope.scope_kind == PROGRAM))}
