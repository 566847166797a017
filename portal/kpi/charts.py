"""Chart data for portal/static/kpi/charts.js: passed in a JSON <script type="application/json"> block (no
inline code), and also rendered as a table beside each chart for people who do not see it."""

from flask_babel import gettext as _

from portal.kpi.kpis import PLAN_TABLE


def plan_vs_actual(card) -> list[dict]:
    """One bar chart per KPI of the plan table: plan and actual per stage."""
    charts = []
    labels = [stage.name for stage in card.stages]
    for row in card.rows:
        if row.kpi.code not in PLAN_TABLE:
            continue
        charts.append({
            "id": f"chart-{row.kpi.code}", "title": str(row.kpi.label), "type": "bar", "labels": labels,
            "series": [
                {"label": _("Plan"), "data": [c.target for c in row.cells], "color": "plan"},
                {"label": _("Actual"), "data": [c.actual for c in row.cells], "color": "actual"},
            ],
        })
    return charts


def trends(months: list[dict]) -> list[dict]:
    """Monthly trends for the dashboard: registrations, shares, sales, points."""
    labels = [m["label"] for m in months]
    return [
        {"id": "trend-people", "title": _("Registrations and shares to date"), "type": "bar", "labels": labels,
         "percentAxis": True, "series": [
             {"label": _("Registered in the stage"), "data": [m["registered"] for m in months], "color": "actual"},
             {"label": _("Registration plan"), "data": [m["registered_plan"] for m in months], "color": "plan",
              "type": "line"},
             {"label": _("Active share, %"), "data": [m["active_share"] for m in months], "color": "green",
              "type": "line", "axis": "percent"},
             {"label": _("Trained share, %"), "data": [m["trained_share"] for m in months], "color": "third",
              "type": "line", "axis": "percent"}]},
        {"id": "trend-sales", "title": _("Sales, thousand RUB"), "type": "bar", "labels": labels, "series": [
            {"label": _("Sales amount"), "data": [round(m["sales_amount"] / 100_000, 1) for m in months],
             "color": "actual"}]},
        {"id": "trend-points", "title": _("Points issued and redeemed"), "type": "line", "labels": labels,
         "series": [
             {"label": _("Issued"), "data": [m["points_issued"] for m in months], "color": "plan"},
             {"label": _("Redeemed"), "data": [m["points_redeemed"] for m in months], "color": "actual"}]},
    ]


def funnel(registered: int, active: int, trained: int) -> dict:
    return {"id": "funnel", "title": _("Funnel"), "type": "bar", "horizontal": True,
            "labels": [_("Registered people"), _("Active (an approved sale)"), _("Trained (a course passed)")],
            "series": [{"label": _("People"), "data": [registered, active, trained], "color": "actual"}]}
