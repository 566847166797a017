"""The demo's KPI plan: the program table of the issue as this year's plan for April to December, with a
prize fund per stage, actuals rebuilt from the demo's history, ended stages closed, and a weekly report."""

from datetime import date

from sqlalchemy import select

from portal.auth.models import User
from portal.core.time import today
from portal.extensions import db
from portal.kpi import aggregates, plan, reports, stages

# KPI -> (program total, April ... December): the program's plan table.
PLAN = {
    "registered": (700, [150, 50, 50, 150, 50, 50, 150, 50, 0]),
    "active": ("60", [90, 30, 30, 90, 30, 30, 90, 30, 0]),
    "trained": ("30", [45, 15, 15, 45, 15, 15, 45, 15, 0]),
}
BUDGET_RUB = [300_000, 150_000, 150_000, 300_000, 150_000, 150_000, 300_000, 150_000, 100_000]


def load(rng) -> None:
    manager = db.session.scalar(select(User).where(User.email == "manager@demo.test"))
    year = today().year
    created = stages.add_months(year, 4, 12)
    april_to_december = [s for s in stages.all_stages() if s.starts_on.year == year and s.starts_on.month >= 4]
    for stage, fund in zip(april_to_december, BUDGET_RUB, strict=False):
        stage.budget_kopecks = fund * 100
    values = {}
    for code, (total, months) in PLAN.items():
        values[(code, None)] = plan.parse_target(code, total, total=True)
        for stage, target in zip(april_to_december, months, strict=False):
            values[(code, stage.id)] = target
    plan.set_targets("program", "", values, manager)
    db.session.flush()
    if not created:
        aggregates.recompute()
    for stage in april_to_december:
        if stage.ends_on < date.fromordinal(today().toordinal()):
            stages.close_stage(stage)
    reports.set_subscriptions(manager, {"weekly"})
    db.session.flush()
