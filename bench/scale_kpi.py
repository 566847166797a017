"""The scale program's KPI plan (`python -m bench scale` adds it after the ledger): monthly stages, groups, a
program plan and the KPI counters, written in bulk."""

import time
from datetime import timedelta

from portal.core.time import utcnow


def add_kpi_plan(app, groups: int = 20, log=print) -> dict:
    """The KPI plan of the scale program: a stage per calendar month from the first registrations to this month
    (the ended ones closed, their results stored as the nightly job leaves them), half the companies in groups,
    and a program plan. The counters are written in bulk as the domain events would have left them: sales,
    registrations and sellers per company and month from the claims and people (by SQL, not the per-event
    rebuild, which takes many minutes at this size), summed for regions, groups, audiences and the program;
    points per month from the ledger; then the companies' and groups' totals over the stages and the points issued per
    day, from those rows and the ledger. What the dashboard and /kpi read is then the size of a real year."""
    import calendar
    from collections import defaultdict

    from sqlalchemy import case, func, insert, select

    from portal.auth.models import MANAGER, User
    from portal.claims.models import Claim, ClaimLine
    from portal.extensions import db
    from portal.kpi import plan, stages, totals
    from portal.kpi.models import (
        AUDIENCE,
        COMPANY,
        COUNTER_METRICS,
        GROUP,
        PROGRAM,
        REGION,
        KpiCounter,
        KpiStage,
        KpiStageResult,
    )
    from portal.ledger.models import Account, LedgerEntry, LedgerTransaction
    from portal.partners.models import GroupMembership, PartnerCompany, PartnerGroup

    started = time.perf_counter()
    with app.app_context():
        first = db.session.scalar(select(func.min(User.created_at)).where(User.role != MANAGER))
        if first is None or db.session.scalar(select(func.count(KpiStage.id))):
            return {}
        day, last = first.date().replace(day=1), utcnow().date()
        while day <= last:
            end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
            db.session.add(KpiStage(name=stages.month_name(day), starts_on=day, ends_on=end, budget_kopecks=10**9))
            day = end + timedelta(days=1)
        db.session.flush()
        all_stages = stages.all_stages()
        month = {(s.starts_on.year, s.starts_on.month): s.id for s in all_stages}
        manager = db.session.scalar(select(User).where(User.role == MANAGER))
        regions = dict(db.session.execute(select(PartnerCompany.id, PartnerCompany.region)).all())
        companies = sorted(regions)
        since = first - timedelta(days=30)
        group_of = {}
        for g in range(groups):
            group = PartnerGroup(name=f"Группа {g + 1}", created_by_id=manager.id, created_at=since)
            db.session.add(group)
            db.session.flush()
            members = companies[g::groups * 2]  # half the companies, each in one group
            group_of.update(dict.fromkeys(members, group.id))
            db.session.execute(insert(GroupMembership), [
                {"group_id": group.id, "company_id": company, "added_at": since} for company in members])
        per_company = defaultdict(lambda: dict.fromkeys(COUNTER_METRICS, 0))  # (stage, company) -> counters

        def month_of(column):
            postgres = db.engine.dialect.name == "postgresql"
            return func.to_char(column, "YYYY-MM") if postgres else func.strftime("%Y-%m", column)

        ym = month_of(Claim.invoice_date)
        margin = case((ClaimLine.unit_price_kopecks > ClaimLine.unit_cost_kopecks,
                       ClaimLine.quantity * (ClaimLine.unit_price_kopecks - ClaimLine.unit_cost_kopecks)), else_=0)
        for period, company, claims, sellers, sales, units, margin_sum in db.session.execute(
                select(ym, Claim.company_id, func.count(Claim.id), func.count(func.distinct(Claim.user_id)),
                       func.sum(ClaimLine.quantity * ClaimLine.unit_price_kopecks), func.sum(ClaimLine.quantity),
                       func.sum(margin)).join(ClaimLine, ClaimLine.claim_id == Claim.id)
                .where(Claim.status == "approved").group_by(ym, Claim.company_id)):
            stage_id = month.get(tuple(int(part) for part in period.split("-")))
            if stage_id:
                row = per_company[(stage_id, company)]
                row.update(claims_approved=claims, sales_amount=int(sales), units=int(units), margin=int(margin_sum),
                           active_people=sellers, first_selling=sellers // 2, new_active=sellers // 3)
        joined = month_of(User.created_at)
        for period, company, people in db.session.execute(
                select(joined, User.company_id, func.count(User.id)).where(User.role != MANAGER)
                .group_by(joined, User.company_id)):
            stage_id = month.get(tuple(int(part) for part in period.split("-")))
            if stage_id:
                per_company[(stage_id, company)]["registered"] = people
        points = defaultdict(dict)  # stage -> points issued and redeemed, program-wide
        moved = month_of(LedgerTransaction.created_at)
        for period, kind, amount in db.session.execute(
                select(moved, Account.kind, func.sum(LedgerEntry.amount))
                .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
                .join(Account, Account.id == LedgerEntry.account_id)
                .where(Account.kind.in_(("issuance", "redemption"))).group_by(moved, Account.kind)):
            stage_id = month.get(tuple(int(part) for part in period.split("-")))
            if stage_id:
                metric, sign = ("points_issued", -1) if kind == "issuance" else ("points_redeemed", 1)
                points[stage_id][metric] = sign * int(amount)
        rows = []
        for stage in all_stages:
            scopes = defaultdict(lambda: dict.fromkeys(COUNTER_METRICS, 0))
            scopes[(PROGRAM, "")].update(points[stage.id])
            for company in companies:
                values = per_company.get((stage.id, company))
                if values is None:
                    continue
                rows.append({"stage_id": stage.id, "scope_kind": COMPANY, "scope_key": str(company), **values})
                for scope in ((PROGRAM, ""), (REGION, regions[company]), (AUDIENCE, "manager"),
                              *(((GROUP, str(group_of[company])),) if company in group_of else ())):
                    for metric, value in values.items():
                        scopes[scope][metric] += value
            rows += [{"stage_id": stage.id, "scope_kind": kind, "scope_key": key, **values}
                     for (kind, key), values in scopes.items()]
        db.session.execute(insert(KpiCounter), rows)
        values = {(code, stage.id): target for stage in all_stages
                  for code, target in (("registered", 2_000), ("active", 1_500), ("trained", 500),
                                       ("sales_amount", 15_000_000_000))}
        values[("active", None)], values[("trained", None)] = 6_000, 3_000
        plan.set_targets(PROGRAM, "", values, manager)
        ended = [s for s in all_stages if s.ends_on < last]
        db.session.execute(insert(KpiStageResult), [row for row in rows if row["stage_id"] in {s.id for s in ended}])
        for stage in ended:
            stage.closed_at = utcnow()
        # The sums the lists and the budget read, from what was just written (and from the ledger), as the events
        # and the closing would have left them.
        totals.rebuild_totals()
        totals.rebuild_points_days()
        db.session.commit()
        db.session.remove()
    log(f"  KPI plan: {len(all_stages)} monthly stages ({len(ended)} closed), {groups} groups, {len(rows):,} counter "
        f"rows: {time.perf_counter() - started:.1f} s")
    return {"stages": len(all_stages), "counters": len(rows)}
