"""The sums the KPI pages read at scale: each company's and group's figures over the stages (the lists rank a row
per company, not a row per company and stage), and the points issued per program day (the budget's run rate). Both
follow the events in their own transaction, closing and recalculating stages, and `portal check` compares them with a
rebuild from their sources."""

from datetime import date, datetime

from sqlalchemy import select, update

from portal.auth.models import MANAGER
from portal.checks import consistency
from portal.claims import services as claims
from portal.core.time import frozen_time
from portal.extensions import db as _db
from portal.groups import services as groups
from portal.kpi import budget, lookups, stages, totals
from portal.kpi.models import KpiPointsDay, KpiScopeTotal
from portal.ledger import services as ledger
from tests.claims import factories as f
from tests.plans.helpers import approved_sale


def _kept(kind: str, key) -> dict | None:
    row = _db.session.get(KpiScopeTotal, (kind, str(key)))
    return None if row is None else {"sales_amount": row.sales_amount, "claims_approved": row.claims_approved,
                                     "first_selling": row.first_selling}


def test_a_company_and_its_group_keep_their_totals_over_the_stages(db, make):
    stages.add_months(2026, 4, 6)
    boss = make.user(role=MANAGER, email="boss@example.test")
    company = make.company()
    company.created_at = datetime(2026, 1, 1)
    group = groups.save_group("Юг", "", boss)
    groups.add_company(group, company, boss, since=date(2026, 3, 1))
    seller = make.user(company=company)
    seller.created_at = datetime(2026, 3, 1)
    f.product()
    approved_sale(seller, boss, date(2026, 4, 22), lines=[("SPL-09", 2, 1_000_000)])
    approved_sale(seller, boss, date(2026, 5, 20), lines=[("SPL-09", 1, 1_000_000)])
    _db.session.flush()
    assert _kept("company", company.id) == {"sales_amount": 3_000_000, "claims_approved": 2, "first_selling": 1}
    assert _kept("group", group.id)["sales_amount"] == 3_000_000
    assert consistency.kpi_total_drift() == []
    every = [s.id for s in stages.all_stages()]
    listed = lookups.companies_with_actuals(every)
    assert [(c["id"], c["sales_amount"], c["claims_approved"], c["selling_people"]) for c in listed] == [
        (company.id, 3_000_000, 2, 1)]
    assert lookups.top_groups(every) == [{"id": group.id, "name": "Юг", "sales_amount": 3_000_000}]

    # April closes (its stored results are its figures); a sale approved late into April does not move the totals
    # until April is recalculated with a reason.
    with frozen_time(datetime(2026, 5, 2)):
        assert stages.close_due_stages() == 1
    assert consistency.kpi_total_drift() == []
    approved_sale(seller, boss, date(2026, 4, 25), lines=[("SPL-09", 5, 1_000_000)])
    _db.session.flush()
    assert _kept("company", company.id)["sales_amount"] == 3_000_000
    assert lookups.top_companies(every)[0]["sales_amount"] == 3_000_000
    assert consistency.kpi_total_drift() == []
    stages.recalculate_stage(stages.all_stages()[0], "продажа одобрена поздно", boss)
    assert _kept("company", company.id)["sales_amount"] == 8_000_000
    assert lookups.top_companies(every)[0]["sales_amount"] == 8_000_000
    assert consistency.kpi_total_drift() == []

    # A reversal in the open May comes off at once.
    may_claim = approved_sale(seller, boss, date(2026, 5, 21), lines=[("SPL-09", 4, 1_000_000)])
    assert _kept("company", company.id)["sales_amount"] == 12_000_000
    with frozen_time(datetime(2026, 5, 25)):
        claims.reverse_claim(may_claim, boss, "возврат")
    assert _kept("company", company.id)["sales_amount"] == 8_000_000
    assert consistency.kpi_total_drift() == []


def test_only_some_stages_are_summed_stage_by_stage(db, make):
    """The lists of a few stages (not all that have figures) give those stages' figures, not the totals."""
    stages.add_months(2026, 4, 6)
    boss = make.user(role=MANAGER, email="boss@example.test")
    company = make.company()
    seller = make.user(company=company)
    f.product()
    approved_sale(seller, boss, date(2026, 4, 22), lines=[("SPL-09", 2, 1_000_000)])
    approved_sale(seller, boss, date(2026, 6, 20), lines=[("SPL-09", 1, 1_000_000)])
    april, may, june = stages.all_stages()
    assert lookups.top_companies([april.id, may.id])[0]["sales_amount"] == 2_000_000
    assert lookups.companies_with_actuals([june.id])[0]["sales_amount"] == 1_000_000
    assert lookups.top_companies([may.id]) == []
    assert lookups.top_companies([april.id, may.id, june.id])[0]["sales_amount"] == 3_000_000


def test_the_check_finds_totals_that_differ_and_a_recompute_mends_them(db, make):
    stages.add_months(2026, 4, 4)
    boss = make.user(role=MANAGER, email="boss@example.test")
    company = make.company()
    f.product()
    approved_sale(make.user(company=company), boss, date(2026, 4, 22))
    _db.session.execute(update(KpiScopeTotal).values(sales_amount=1))
    [finding] = consistency.kpi_total_drift()
    assert "1" in str(finding)
    from portal.kpi import aggregates

    aggregates.recompute()
    assert consistency.kpi_total_drift() == []


def _points(person, points: int, when: datetime, key: str):
    with frozen_time(when):
        return ledger.earn(person.id, points, key=key, source_type="manual")


def test_points_issued_are_kept_per_day_of_the_program_calendar(db, make):
    person = make.user(company=make.company())
    _points(person, 500, datetime(2026, 11, 7, 20), "7 november in Moscow")
    _points(person, 700, datetime(2026, 11, 7, 22), "8 november in Moscow")
    earned = _points(person, 300, datetime(2026, 11, 8, 9), "8 november too")
    with frozen_time(datetime(2026, 11, 9, 9)):
        ledger.reverse_transaction(earned, actor_id=None, reason="ошибка")
    kept = dict(_db.session.execute(select(KpiPointsDay.day, KpiPointsDay.issued)).all())
    assert kept == {date(2026, 11, 7): 500, date(2026, 11, 8): 1000, date(2026, 11, 9): -300}
    assert totals.issued_between(date(2026, 11, 8), date(2026, 11, 9)) == 700
    assert consistency.points_day_drift() == []


def test_the_budget_run_rate_reads_the_points_kept_per_day(db, make):
    """The forecast takes its run rate from the kept days (30 rows), so it never sums the ledger's entries; the
    check names a day whose kept points differ from the ledger, and a recompute mends it."""
    stages.add_months(2026, 12, 12)
    person = make.user(company=make.company())
    _points(person, 7_000, datetime(2026, 12, 3, 9), "december")
    _db.session.execute(update(KpiPointsDay).values(issued=14_000))
    with frozen_time(datetime(2026, 12, 7, 9)):
        view = budget.budget_view(date(2026, 12, 7))
    assert view.forecast["rate"] == 2000.0
    [finding] = consistency.points_day_drift()
    assert "14000" in str(finding) and "7000" in str(finding)
    from portal.kpi import aggregates

    aggregates.recompute()
    assert consistency.points_day_drift() == []


def test_a_counter_change_over_many_scopes_is_one_statement_and_adds_up(db, make):
    """An event counted for the program, a company, its region, an audience and its groups writes its counters
    in one statement (and the totals of the company and groups in one more), whatever the number of scopes."""
    from sqlalchemy import event

    from portal.kpi import aggregates
    from portal.kpi.models import KpiCounter

    stage = stages.add_months(2026, 4, 4)[0]
    scopes = [("program", ""), ("company", "7"), ("region", "77"), ("audience", "manager"),
              ("group", "1"), ("group", "2"), ("group", "3")]
    sent = []

    def count(conn, cursor, statement, *args):
        sent.append(statement)

    aggregates.bump(stage.id, scopes, sales_amount=100, claims_approved=1)  # creates the rows
    _db.session.flush()
    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        aggregates.bump(stage.id, scopes, sales_amount=50, claims_approved=1)
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)
    assert len([sql for sql in sent if sql.lstrip().upper().startswith("INSERT")]) == 2
    rows = {(row.scope_kind, row.scope_key): (row.sales_amount, row.claims_approved)
            for row in _db.session.scalars(select(KpiCounter).where(KpiCounter.stage_id == stage.id))}
    assert rows == {scope: (150, 2) for scope in scopes}
    assert _kept("group", 2) == {"sales_amount": 150, "claims_approved": 2, "first_selling": 0}
