"""The KPI dashboard and table over a program of 100,000 participants and 1,000,000 approved claims.

Self-contained: it builds its own synthetic aggregates (the counters the domain events keep: one row per
stage and scope) instead of a million claim rows, since what is timed is what pages read."""

import random

from sqlalchemy import insert, select, text

from bench.harness import add_people, bench_app, page_getter, timed
from portal.auth.models import MANAGER, User
from portal.core.inn import make_inn
from portal.core.time import today, utcnow
from portal.extensions import db
from portal.kpi import dashboard, plan, stages
from portal.kpi import totals as kpi_totals
from portal.kpi.models import AUDIENCE, COMPANY, COUNTER_METRICS, PROGRAM, REGION, KpiCounter
from portal.kpi.table import scorecard
from portal.partners.models import APPROVED, GroupMembership, PartnerCompany, PartnerGroup

PEOPLE = 100_000
CLAIMS = 1_000_000
COMPANIES = 1_000
GROUPS = 10


def build(rng: random.Random) -> int:
    now = utcnow()
    year = today().year
    created = stages.add_months(year, 1, 12)  # before anyone exists: nothing to rebuild yet
    db.session.execute(insert(PartnerCompany), [
        {"inn": make_inn(f"7{i:08d}"), "name": f"ООО «Партнёр {i}»", "region": f"Регион {i % 40}",
         "status": APPROVED, "created_at": now} for i in range(COMPANIES)])
    add_people(PEOPLE, email="k{i}@bench.test", full_name="Участник {i}", company_ids=COMPANIES)
    db.session.commit()
    manager = db.session.scalar(select(User).where(User.role == MANAGER))
    for g in range(GROUPS):
        group = PartnerGroup(name=f"Группа {g}", created_by_id=manager.id)
        db.session.add(group)
        db.session.flush()
        db.session.execute(insert(GroupMembership), [
            {"group_id": group.id, "company_id": c + 1, "added_at": now} for c in range(g * 100, g * 100 + 100)])
    # Counters as the events would have left them: people and claims spread over the stages and companies.
    per_stage_people = PEOPLE // len(created)
    per_stage_claims = CLAIMS // len(created)
    rows = []
    for stage in created:
        totals = dict.fromkeys(COUNTER_METRICS, 0)
        regions: dict[str, dict] = {}
        for company in range(1, COMPANIES + 1):
            row = {m: 0 for m in COUNTER_METRICS}
            row["registered"] = per_stage_people // COMPANIES + rng.randint(-3, 3)
            row["claims_approved"] = per_stage_claims // COMPANIES + rng.randint(-20, 20)
            row["sales_amount"] = row["claims_approved"] * rng.randint(2_000_000, 9_000_000)
            row["margin"], row["units"] = row["sales_amount"] // 5, row["claims_approved"] * 3
            row["active_people"] = rng.randint(0, 8)
            row["new_active"], row["new_trained"] = rng.randint(0, 6), rng.randint(0, 3)
            row["trained_people"], row["courses_passed"] = row["new_trained"] + 1, row["new_trained"] + 2
            rows.append({"stage_id": stage.id, "scope_kind": COMPANY, "scope_key": str(company), **row})
            region = regions.setdefault(f"Регион {(company - 1) % 40}", dict.fromkeys(COUNTER_METRICS, 0))
            for metric, value in row.items():
                totals[metric] += value
                region[metric] += value
        totals["points_issued"], totals["points_redeemed"] = rng.randint(10**6, 2 * 10**6), rng.randint(10**5, 10**6)
        rows.append({"stage_id": stage.id, "scope_kind": PROGRAM, "scope_key": "", **totals})
        rows.append({"stage_id": stage.id, "scope_kind": AUDIENCE, "scope_key": "manager", **totals})
        rows += [{"stage_id": stage.id, "scope_kind": REGION, "scope_key": k, **v} for k, v in regions.items()]
    db.session.execute(insert(KpiCounter), rows)
    kpi_totals.rebuild_totals()  # the companies' sums over the stages, as the receivers would keep them
    values = {}
    for stage in created:
        values[("registered", stage.id)] = per_stage_people
        values[("active", stage.id)] = per_stage_people * 6 // 10
        values[("trained", stage.id)] = per_stage_people * 3 // 10
    values[("active", None)], values[("trained", None)] = 6000, 3000
    plan.set_targets(PROGRAM, "", values, manager)
    db.session.commit()
    db.session.execute(text("ANALYZE")) if db.engine.dialect.name == "sqlite" else None
    db.session.commit()
    return len(rows)


def run() -> None:
    print(f"kpi: {PEOPLE:,} participants, {CLAIMS:,} approved claims as maintained counters, "
          f"{COMPANIES:,} companies in {GROUPS} groups, 12 monthly stages")
    with bench_app() as app:
        with app.app_context(), app.test_request_context():
            counter_rows = build(random.Random(10))
            print(f"  {counter_rows:,} counter rows")
            all_stages = stages.all_stages()
            timed("KPI table, whole program (scorecard)", lambda: scorecard(all_stages), repeat=30)
            group_key = str(db.session.scalar(select(PartnerGroup.id).limit(1)))
            timed("KPI table, one group of 100 companies", lambda: scorecard(all_stages, "group", group_key))
            timed("dashboard data (stage, trends, funnel, top 5)", dashboard.dashboard_data, repeat=20)
        manager = page_getter(app, "manager@bench.test")
        timed("manager's home page (dashboard), HTTP", lambda: manager("/home"), repeat=20)
        timed("KPI table page with drill-down lists, HTTP", lambda: manager("/kpi"), repeat=20)
        timed("KPI table as XLSX, HTTP", lambda: manager("/kpi/export.xlsx"), repeat=10)


if __name__ == "__main__":
    run()
