"""Sales plans: targets and where they come from, pro-rata, copying, imports, and actuals from sales."""

from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.auth.models import MANAGER, PARTNER_ADMIN
from portal.claims import services as claims
from portal.core.errors import DomainError
from portal.core.time import frozen_time
from portal.extensions import db as _db
from portal.groups import services as groups
from portal.plans import actuals, imports, services
from portal.plans.models import APPROVED_CLAIMS, MARGIN, MONTH, QUARTER, SALES_AMOUNT, UNITS, PlanActual, SalesPlan
from portal.plans.periods import parse_period, period_of
from portal.products.services import read_rows
from tests.claims import factories as f
from tests.plans.helpers import NOW, approved_sale

JUNE = period_of(MONTH, date(2026, 6, 1))
MAY = period_of(MONTH, date(2026, 5, 1))


EARLIER = datetime(2026, 1, 10)  # when the people of these tests registered


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER)


@pytest.fixture
def seller(make):
    with frozen_time(EARLIER):
        return make.user(email="seller@example.test", full_name="Соколова Анна")


# --- periods ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "kind", "start", "end"), [
    ("2026-06", MONTH, date(2026, 6, 1), date(2026, 6, 30)),
    ("2026-02", MONTH, date(2026, 2, 1), date(2026, 2, 28)),
    ("2026-Q1", QUARTER, date(2026, 1, 1), date(2026, 3, 31)),
    ("2026-Q4", QUARTER, date(2026, 10, 1), date(2026, 12, 31)),
])
def test_periods_parse_from_keys(key, kind, start, end):
    period = parse_period(key)
    assert (period.kind, period.start, period.end, period.key) == (kind, start, end, key)


@pytest.mark.parametrize("key", ["", "2026-13", "2026-00", "2026-Q5", "1e309", "9" * 40, "2026-6", "1900-01", None])
def test_bad_period_keys_are_none(key):
    assert parse_period(key) is None


def test_previous_and_months_of_a_quarter():
    q3 = period_of(QUARTER, date(2026, 8, 15))
    assert q3.previous().key == "2026-Q2" and q3.next().key == "2026-Q4"
    assert q3.months() == [date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)]
    assert period_of(MONTH, date(2026, 1, 10)).previous().key == "2025-12"


# --- targets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("metric", "text", "expected"), [
    (SALES_AMOUNT, "150 000", 15_000_000), (SALES_AMOUNT, "1500,50", 150_050), (MARGIN, 2500, 250_000),
    (UNITS, "12", 12), (UNITS, 12.0, 12), (APPROVED_CLAIMS, " 3 ", 3),
])
def test_targets_parse_in_roubles_or_units(db, metric, text, expected):
    assert services.parse_target(metric, text) == expected


@pytest.mark.parametrize(("metric", "text"), [
    (SALES_AMOUNT, "0"), (SALES_AMOUNT, "-5"), (SALES_AMOUNT, "abc"), (UNITS, "1,5"), (UNITS, "1e309"),
    (UNITS, "NaN"), (UNITS, "9" * 40), (SALES_AMOUNT, "9" * 30), ("nope", "5"), (UNITS, None),
])
def test_bad_targets_are_refused(db, metric, text):
    with pytest.raises(DomainError):
        services.parse_target(metric, text)


def test_set_plan_replaces_the_target_and_refuses_staff(db, seller, manager):
    plan = services.set_plan(seller, SALES_AMOUNT, JUNE, 10_000_00, manager)
    again = services.set_plan(seller, SALES_AMOUNT, JUNE, 20_000_00, manager)
    assert again.id == plan.id and again.target == 20_000_00 and again.source == "manual"
    with pytest.raises(DomainError):
        services.set_plan(manager, SALES_AMOUNT, JUNE, 10_000_00, manager)
    with pytest.raises(DomainError):
        services.set_plan(seller, SALES_AMOUNT, JUNE, 0, manager)


# --- defaults and pro-rata -------------------------------------------------------------------------


@pytest.mark.parametrize(("joined", "metric", "target", "expected"), [
    (date(2026, 5, 20), UNITS, 30, (30, None)),  # before the period: the whole target
    (date(2026, 6, 1), UNITS, 30, (30, None)),  # on its first day: the whole target
    (date(2026, 6, 16), UNITS, 30, (15, date(2026, 6, 16))),  # 15 of 30 days left
    (date(2026, 6, 30), UNITS, 30, (1, date(2026, 6, 30))),  # the last day: one day's share
    (date(2026, 6, 21), UNITS, 7, (3, date(2026, 6, 21))),  # 10/30 of 7 = 2.33, rounded up
    (date(2026, 6, 21), SALES_AMOUNT, 100_000, (33_400, date(2026, 6, 21))),  # 333.33 RUB -> 334 RUB
    (date(2026, 7, 1), UNITS, 30, None),  # after the period: nothing
])
def test_pro_rata_for_people_who_join_mid_period(joined, metric, target, expected):
    assert services.prorated(target, metric, JUNE, joined) == expected


def test_defaults_never_overwrite_a_manual_plan(db, make, manager, seller):
    with frozen_time(EARLIER):
        colleague = make.user(audience="manager")
        installer = make.user(audience="specialist")
    with frozen_time(NOW):
        services.set_plan(seller, UNITS, JUNE, 50, manager)
        _default, result = services.set_default(JUNE, UNITS, 10, manager, audience="manager")
    assert (result.created, result.updated, result.kept) == (1, 0, 1)
    plans = {p.user_id: p for p in db.session.scalars(select(SalesPlan))}
    assert plans[seller.id].target == 50 and plans[seller.id].source == "manual"
    assert plans[colleague.id].target == 10 and plans[colleague.id].source == "default"
    assert installer.id not in plans  # another audience
    with frozen_time(NOW):
        _default, result = services.set_default(JUNE, UNITS, 12, manager, audience="manager")
    assert (result.created, result.updated, result.kept) == (0, 1, 1)
    db.session.refresh(plans[colleague.id])
    assert plans[colleague.id].target == 12
    assert plans[seller.id].target == 50
    assert len(services.defaults_for(JUNE)) == 1  # setting the same scope again updates the default


def test_a_group_default_reaches_only_the_groups_companies(db, make, manager):
    inside, outside = make.company(), make.company()
    group = groups.save_group("Регионы", "", manager)
    groups.add_company(group, inside, manager)
    with frozen_time(EARLIER):
        member = make.user(company=inside)
        other = make.user(company=outside)
    with frozen_time(NOW):
        services.set_default(JUNE, SALES_AMOUNT, 100_000_00, manager, group_id=group.id)
    targets = dict(db.session.execute(select(SalesPlan.user_id, SalesPlan.target)).all())
    assert targets == {member.id: 100_000_00}
    assert other.id not in targets


def test_newcomers_get_running_defaults_pro_rated(db, make, manager):
    from portal.core import events

    with frozen_time(NOW):
        services.set_default(JUNE, UNITS, 30, manager)
    with frozen_time(datetime(2026, 6, 16, 9)):
        newcomer = make.user()
        events.participant_registered.send(newcomer)
    plan = db.session.scalar(select(SalesPlan).where(SalesPlan.user_id == newcomer.id))
    assert (plan.target, plan.starts_on, plan.source) == (15, date(2026, 6, 16), "default")


def test_defaults_are_for_running_or_coming_periods(db, manager):
    with frozen_time(NOW), pytest.raises(DomainError):
        services.set_default(MAY, UNITS, 10, manager)


# --- copying ---------------------------------------------------------------------------------------


def test_copy_the_previous_period_keeps_existing_plans(db, make, manager, seller):
    colleague = make.user()
    gone = make.user(active=False)
    for person, target in ((seller, 10), (colleague, 20), (gone, 30)):
        services.set_plan(person, UNITS, MAY, target, manager)
    services.set_plan(seller, UNITS, JUNE, 99, manager)
    assert services.copy_previous_period(JUNE, manager) == (1, 1)
    june = dict(db.session.execute(select(SalesPlan.user_id, SalesPlan.target)
                                   .where(SalesPlan.period_start == JUNE.start)).all())
    assert june == {seller.id: 99, colleague.id: 20}
    with pytest.raises(DomainError):
        services.copy_previous_period(MAY, manager)  # nobody had a plan in April


# --- import ----------------------------------------------------------------------------------------


def test_plan_import_reports_rows_and_writes_only_a_file_without_errors(db, make, manager, seller):
    colleague = make.user(email="colleague@example.test")
    services.set_plan(colleague, UNITS, JUNE, 5, manager)
    csv_text = ("почта;метрика;план\n"
                "seller@example.test;сумма продаж;150 000\n"
                "colleague@example.test;units;8\n"
                "nobody@example.test;units;3\n"
                f"{manager.email};units;3\n"
                "seller@example.test;mystery;3\n"
                "seller@example.test;units;-1\n"
                "seller@example.test;сумма продаж;1\n")
    rows = imports.check_plan_import(read_rows("plans.csv", csv_text.encode()), JUNE)
    assert [(r.number, r.valid, r.replaces) for r in rows] == [
        (2, True, None), (3, True, 5), (4, False, None), (5, False, None), (6, False, None), (7, False, None),
        (8, False, None),
    ]
    assert rows[2].errors == ["участника с такой почтой в программе нет"]
    assert rows[6].errors == ["повторяет строку выше"]
    assert db.session.scalar(select(SalesPlan.target).where(SalesPlan.user_id == colleague.id)) == 5
    with pytest.raises(DomainError):  # a file with a wrong row writes nothing
        imports.apply_plan_import(rows, JUNE, manager)
    assert db.session.scalar(select(SalesPlan.target).where(SalesPlan.user_id == colleague.id)) == 5
    assert imports.apply_plan_import(rows[:2], JUNE, manager) == 2
    targets = {(p.user_id, p.metric): (p.target, p.source) for p in db.session.scalars(select(SalesPlan))}
    assert targets == {(seller.id, SALES_AMOUNT): (15_000_000, "import"), (colleague.id, UNITS): (8, "import")}


def test_plan_import_needs_its_columns(db):
    with pytest.raises(DomainError):
        imports.check_plan_import(read_rows("plans.csv", b"email;target\na@b.c;5\n"), JUNE)
    rows = imports.check_plan_import(read_rows("plans.csv", b"email;target\na@b.c;5\n"), JUNE, UNITS)
    assert rows[0].metric == UNITS


# --- actuals and progress --------------------------------------------------------------------------


@pytest.fixture
def catalogue(db):
    f.product()  # SPL-09: price 50,000 RUB, cost 40,000 RUB
    f.product(sku="LOSS", name="Распродажа", price=100_000, cost=200_000)


def test_actuals_follow_approvals_and_reversals(db, catalogue, seller, manager):
    first = approved_sale(seller, manager, date(2026, 6, 3), [("SPL-09", 2, 4_900_000), ("LOSS", 1, 50_000)])
    approved_sale(seller, manager, date(2026, 5, 30))
    june = db.session.scalar(select(PlanActual).where(PlanActual.month == date(2026, 6, 1)))
    assert (june.sales_amount, june.units, june.margin, june.approved_claims) == (9_850_000, 3, 1_800_000, 1)
    with frozen_time(NOW):
        claims.reverse_claim(first, manager, "возврат")
    db.session.refresh(june)
    assert (june.sales_amount, june.units, june.margin, june.approved_claims) == (0, 0, 0, 0)
    assert actuals.recompute_actuals(fix=False) == []


def test_progress_percent_and_pace(db, catalogue, seller, manager):
    plan = services.set_plan(seller, SALES_AMOUNT, JUNE, 30_000_000, manager)  # 300,000 RUB
    approved_sale(seller, manager, date(2026, 6, 3))  # 98,000 RUB
    [progress] = services.with_progress([plan], on=date(2026, 6, 15))
    assert progress.actual == 9_800_000 and progress.percent == 32
    assert progress.expected == 15_000_000 and progress.pace_percent == 50 and progress.behind
    [early] = services.with_progress([plan], on=date(2026, 6, 5))
    assert early.expected == 5_000_000 and not early.behind
    [after] = services.with_progress([plan], on=date(2026, 7, 5))
    assert after.expected == 30_000_000 and after.behind and after.left == 20_200_000


def test_behind_pace_filter_and_group_filter(db, make, catalogue, manager):
    fast, slow, late = make.user(full_name="А Быстрый"), make.user(full_name="Б Медленный"), make.user(
        full_name="В Новичок")
    group = groups.save_group("Дилеры", "", manager)
    groups.add_company(group, fast.company, manager)
    for person in (fast, slow):
        services.set_plan(person, SALES_AMOUNT, JUNE, 30_000_000, manager)
    # A newcomer's pro-rated plan from 16 June: 150,000 RUB over 15 days; nothing sold yet, but on 15 June
    # their pace has not started, so they are not behind.
    _db.session.add(SalesPlan(user_id=late.id, metric=SALES_AMOUNT, period_kind=MONTH, period_start=JUNE.start,
                              period_end=JUNE.end, target=15_000_000, source="default", starts_on=date(2026, 6, 16)))
    approved_sale(fast, manager, date(2026, 6, 2), [("SPL-09", 4, 5_000_000)])  # 200,000 RUB
    approved_sale(slow, manager, date(2026, 6, 2))  # 98,000 RUB

    def names(**filters):
        query = services.search_plans(JUNE, on=date(2026, 6, 15), **filters)
        return [p.user.full_name for p in db.session.scalars(query)]

    assert names() == ["А Быстрый", "Б Медленный", "В Новичок"]
    assert names(behind=True) == ["Б Медленный"]
    assert names(group_id=group.id) == ["А Быстрый"]
    assert names(company_id=slow.company_id) == ["Б Медленный"]
    assert names(metric=UNITS) == []
    assert names(q="новичок") == ["В Новичок"]
    later = services.search_plans(JUNE, on=date(2026, 6, 20), behind=True)  # fast is exactly on pace
    assert [p.user.full_name for p in db.session.scalars(later)] == ["Б Медленный", "В Новичок"]


def test_recompute_reports_and_fixes_drift(db, catalogue, seller, manager):
    approved_sale(seller, manager, date(2026, 6, 3))
    row = db.session.scalar(select(PlanActual))
    row.units = 999
    ghost = PlanActual(user_id=manager.id, month=date(2026, 1, 1), sales_amount=5, units=0, margin=0,
                       approved_claims=0)
    db.session.add(ghost)
    db.session.flush()
    drifts = actuals.recompute_actuals(fix=True)
    assert {(d.user_id, d.metric, d.stored, d.actual) for d in drifts} == {
        (seller.id, UNITS, 999, 2), (manager.id, SALES_AMOUNT, 5, 0)}
    assert actuals.recompute_actuals(fix=False) == []


def test_plan_targets_for_contests(db, seller, manager):
    services.set_plan(seller, UNITS, JUNE, 10, manager)
    services.set_plan(seller, UNITS, MAY, 5, manager)
    assert services.plan_targets(None, UNITS, MAY.start, JUNE.end) == {seller.id: 15}
    assert services.plan_targets([seller.id], UNITS, JUNE.start, JUNE.end) == {seller.id: 10}


# --- the rollup against the claims, under random sequences -----------------------------------------

SALE_DAYS = [date(2026, 4, 25), date(2026, 4, 30), date(2026, 5, 1), date(2026, 5, 31), date(2026, 6, 1),
             date(2026, 6, 20)]
operation = st.one_of(
    st.tuples(st.just("approve"), st.integers(0, 2), st.sampled_from(SALE_DAYS),
              st.lists(st.tuples(st.sampled_from(["SPL-09", "LOSS"]), st.integers(1, 5),
                                 st.integers(1, 9_000_000)), min_size=1, max_size=3)),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operation, min_size=1, max_size=8))
def test_rollup_equals_recomputation_after_any_sequence(db, make, catalogue, manager, steps):
    people = [make.user() for _ in range(3)]
    approved = []
    for step in steps:
        if step[0] == "approve":
            _kind, who, day, lines = step
            approved.append(approved_sale(people[who], manager, day, lines))
        elif approved:
            claim = approved.pop(step[1] % len(approved))
            with frozen_time(NOW):
                claims.reverse_claim(claim, manager, "возврат")
    assert actuals.recompute_actuals(fix=False) == []
    truth = actuals.actuals_from_claims()
    for row in db.session.scalars(select(PlanActual)):
        expected = truth.get((row.user_id, row.month))
        if expected is None:
            assert (row.sales_amount, row.units, row.margin, row.approved_claims) == (0, 0, 0, 0)
        else:
            assert row.sales_amount == expected[SALES_AMOUNT] and row.approved_claims == expected[APPROVED_CLAIMS]


def test_partner_admin_role_is_planned_too(db, make, manager):
    head = make.user(role=PARTNER_ADMIN)
    assert services.set_plan(head, UNITS, JUNE, 3, manager).user_id == head.id
