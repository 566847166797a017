"""The manager's dashboard: the running stage against plan, trends by stage, the funnel, top groups and
companies. Everything comes from the maintained counters (a few rows per stage)."""

from portal.core.time import today
from portal.kpi import charts, lookups, stages
from portal.kpi.kpis import KPIS, PLAN_TABLE
from portal.kpi.models import PROGRAM
from portal.kpi.table import scorecard

DASHBOARD_KPIS = (*PLAN_TABLE, "sales_amount", "claims_approved", "points_issued", "courses_passed")
SHOWN = [kpi for kpi in KPIS if kpi.code in DASHBOARD_KPIS or kpi.code == "registered_total"]


def _share(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def dashboard_data() -> dict | None:
    all_stages = stages.all_stages()
    if not all_stages:
        return {"stages": []}
    day = today()
    card = scorecard(all_stages, PROGRAM, "", day, kpis=SHOWN)  # only the rows the dashboard shows or reads
    index = card.running_index
    current = [(row, row.cells[index]) for row in card.rows if row.kpi.code in DASHBOARD_KPIS] \
        if index is not None else []
    started = [s for s in all_stages if s.starts_on <= day]
    values = card.values
    months = []
    by_code = {row.kpi.code: row for row in card.rows}
    level, planned = by_code["registered_total"], by_code["registered"]
    active = trained = 0
    for stage, cell, plan_cell in zip(started, level.cells, planned.cells, strict=False):
        v = values[stage.id]
        active, trained = active + v["new_active"], trained + v["new_trained"]
        months.append({"label": stage.name, "registered": v["registered"], "registered_plan": plan_cell.target,
                       "active_share": _share(active, cell.actual or 0),
                       "trained_share": _share(trained, cell.actual or 0),
                       "sales_amount": v["sales_amount"], "points_issued": v["points_issued"],
                       "points_redeemed": v["points_redeemed"]})
    registered = by_code["registered_total"].total.actual or 0
    active = by_code["active"].total.actual or 0
    trained = by_code["trained"].total.actual or 0
    funnel = {"registered": registered, "active": active, "trained": trained,
              "active_share": _share(active, registered), "trained_share": _share(trained, registered)}
    stage_ids = [s.id for s in started]
    chart_list = [*charts.trends(months), charts.funnel(registered, active, trained)]
    return {
        "stages": all_stages, "stage": all_stages[index] if index is not None else None, "current": current,
        "funnel": funnel, "charts": chart_list, "months": months,
        "top_companies": lookups.top_companies(stage_ids),
        "top_groups": lookups.top_groups(stage_ids),
    }
