"""KPI pages: plan vs actual with drill-down, the partner admin's scorecard, exports. Plan editing, stages,
the budget and report subscriptions are in admin_views.py (same blueprint)."""

import click
from flask import abort, render_template
from flask.cli import AppGroup
from flask_login import current_user

from portal.auth.models import PARTNER_ADMIN, STAFF_ROLES
from portal.core.auth import roles_required
from portal.core.exports import table_response
from portal.core.time import today
from portal.extensions import db
from portal.kpi import (
    admin_views,  # noqa: F401 - the rest of the blueprint's pages
    aggregates,
    charts,
    lookups,
    plan,
    stages,
)
from portal.kpi.blueprint import bp, scope_args
from portal.kpi.exports import scorecard_table
from portal.kpi.kpis import BY_CODE, PLAN_TABLE
from portal.kpi.models import COMPANY, GROUP, PROGRAM
from portal.kpi.table import scorecard

kpi_cli = AppGroup("kpi", help="The staged KPI plan.")


@kpi_cli.command("recompute")
def recompute_command():
    """Rebuild the KPI counters from claims, courses, people, leads and the ledger (closed stages keep their
    stored results: recalculate those on the Stages page, with a reason)."""
    differing = aggregates.recompute()
    db.session.commit()
    click.echo(f"KPI counters rebuilt: {differing} rows differed.")


@kpi_cli.command("close-stages")
def close_stages_command():
    """Close every stage that has ended (the scheduled job does this too)."""
    click.echo(f"{stages.close_due_stages()} stages closed.")


def _page(kind: str, key: str, template: str = "kpi/table.html", **extra):
    all_stages = stages.all_stages()
    card = scorecard(all_stages, kind, key)
    started = [s.id for s in all_stages if s.starts_on <= today()]
    context = {"card": card, "scope_kind": kind, "scope_key": key, "scope_name": plan.scope_name(kind, key),
               "charts_data": charts.plan_vs_actual(card),
               "unplanned": plan.stages_without_plan(all_stages, targets=card.targets), "today": today(), **extra}
    if kind == PROGRAM and current_user.is_staff:
        context["groups"] = lookups.groups_with_actuals(started)
        context["companies"] = lookups.companies_with_actuals(started)
    elif kind == GROUP:
        context["companies"] = lookups.companies_with_actuals(started, group_id=int(key), limit=500)
    elif kind == COMPANY:
        context["never_sold"] = lookups.never_sold(int(key))
        context["not_trained"] = lookups.not_trained(int(key))
    return render_template(template, **context)


@bp.app_context_processor
def kpi_card_helper():
    def my_company_kpi():
        """The partner admin's company in the running stage (the plan table's KPIs), for the home card."""
        if not current_user.is_authenticated or current_user.role != PARTNER_ADMIN or not current_user.company_id:
            return None
        card = scorecard(stages.all_stages(), COMPANY, str(current_user.company_id),
                         kpis=[BY_CODE[code] for code in PLAN_TABLE])
        if card.running_index is None:
            return {"stage": None, "rows": []}
        return {"stage": card.stages[card.running_index],
                "rows": [(row.kpi, row.cells[card.running_index]) for row in card.rows]}

    return {"my_company_kpi": my_company_kpi}


@bp.get("/kpi")
@roles_required(*STAFF_ROLES)
def index():
    kind, key = scope_args()
    return _page(kind, key)


@bp.get("/kpi/my-company")
@roles_required(PARTNER_ADMIN)
def my_company():
    if current_user.company_id is None:
        abort(404)
    return _page(COMPANY, str(current_user.company_id), own=True)


@bp.get("/kpi/export.<fmt>")
@roles_required(PARTNER_ADMIN, *STAFF_ROLES)
def export(fmt):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    if current_user.is_staff:
        kind, key = scope_args()
    elif current_user.company_id is not None:
        kind, key = COMPANY, str(current_user.company_id)
    else:
        abort(404)
    card = scorecard(stages.all_stages(), kind, key)
    return table_response(scorecard_table(card, f"kpi-{kind}{'-' + key if key.isdigit() else ''}"), fmt)
