"""KPI actuals as tables with a frozen clock: mid-stage registration, a move between companies mid-stage,
zero denominators, group totals as the sum of their companies, closed stages that do not change; the plan's
bad input; one report per period and recipient when the job runs twice at once."""

import threading
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from portal.auth.models import MANAGER, User
from portal.claims import services as claims
from portal.core import events
from portal.core.errors import DomainError
from portal.core.time import frozen_time
from portal.groups import services as groups
from portal.kpi import aggregates, plan, reports, stages
from portal.kpi.models import COMPANY, GROUP, PROGRAM, KpiReportDelivery, KpiStageLog
from portal.kpi.table import scorecard
from portal.ops.models import OutboxMessage
from portal.partners import services as partners
from tests.claims import factories as f
from tests.plans.helpers import approved_sale

TODAY = date(2026, 6, 20)


def _register(make, company, when: datetime, **kwargs):
    with frozen_time(when):
        person = make.user(company=company, **kwargs)
        person.created_at = when
        events.participant_registered.send(person)
    return person


def _row(card, code):
    return next(r for r in card.rows if r.kpi.code == code)


@pytest.fixture
def program(db, make):
    """Stages April-June 2026; A registers mid-May in C1 and sells in May; B registers in April in C2 and
    moves to C1 on 5 June; C1 and C2 form a group; C3 has nobody."""
    stages.add_months(2026, 4, 6)
    boss = make.user(role=MANAGER)
    c1, c2, c3 = make.company(region="Москва"), make.company(region="Казань"), make.company()
    with frozen_time(datetime(2026, 4, 1, 9)):  # the group holds both companies from the program's start
        group = groups.save_group("Тест", "", boss)
        groups.add_company(group, c1, boss)
        groups.add_company(group, c2, boss)
    f.product()
    a = _register(make, c1, datetime(2026, 5, 15, 10))
    b = _register(make, c2, datetime(2026, 4, 10, 10))
    with frozen_time(datetime(2026, 6, 5, 9)):
        partners.move_participant(b, c1, boss)
    claim = approved_sale(a, boss, date(2026, 5, 20))
    db.session.flush()
    yield {"boss": boss, "c1": c1, "c2": c2, "c3": c3, "group": group, "a": a, "b": b, "claim": claim}
    assert aggregates.recompute() == 0, "the live counters and a rebuild from the source tables disagree"


def _cells(card, code, attr="actual"):
    return [getattr(c, attr) for c in _row(card, code).cells]


def test_registrations_moves_and_shares_by_stage(program):
    all_stages = stages.all_stages()
    card = scorecard(all_stages, PROGRAM, "", TODAY)
    assert _cells(card, "registered") == [1, 1, 0]
    assert _cells(card, "registered_total") == [1, 2, 2]
    assert _cells(card, "active") == [0, 1, 0]  # A's first approved sale is dated in May
    assert _cells(card, "active", "denominator") == [1, 2, 2]
    assert _row(card, "active").cells[1].share == 50
    assert _cells(card, "claims_approved") == [0, 1, 0]
    c1 = scorecard(all_stages, COMPANY, str(program["c1"].id), TODAY)
    c2 = scorecard(all_stages, COMPANY, str(program["c2"].id), TODAY)
    assert _cells(c1, "registered_total") == [0, 1, 2]  # B arrives in June
    assert _cells(c2, "registered_total") == [1, 1, 0]  # and leaves C2
    assert _cells(c1, "active_companies") == [0, 1, 0]


def test_a_registration_counts_in_the_month_of_the_programs_calendar(program, make, db):
    """At 22:30 UTC on 31 May it is already 1 June in Moscow (the program's time zone): June's stage counts it,
    on the live counters and after a rebuild from the source tables alike."""
    _register(make, program["c3"], datetime(2026, 5, 31, 22, 30))
    card = scorecard(stages.all_stages(), PROGRAM, "", TODAY)
    assert _cells(card, "registered") == [1, 1, 1]
    aggregates.recompute()
    assert _cells(scorecard(stages.all_stages(), PROGRAM, "", TODAY), "registered") == [1, 1, 1]


def test_zero_denominators_show_no_share(program):
    card = scorecard(stages.all_stages(), COMPANY, str(program["c3"].id), TODAY)
    cell = _row(card, "active").cells[0]
    assert cell.denominator == 0 and cell.share is None and cell.percent is None


def test_group_totals_equal_the_sum_of_their_companies(program):
    """While both companies belong to the group all along (each person selling in one company), the group's
    figures are the sum of its companies'."""
    all_stages = stages.all_stages()
    group = scorecard(all_stages, GROUP, str(program["group"].id), TODAY)
    parts = [scorecard(all_stages, COMPANY, str(program[c].id), TODAY) for c in ("c1", "c2")]
    for code in ("registered", "registered_total", "active", "claims_approved", "sales_amount", "selling"):
        assert _cells(group, code) == [sum(x) for x in zip(*(_cells(p, code) for p in parts), strict=True)], code


def test_recompute_rebuilds_the_same_counters(program, db):
    assert aggregates.recompute() == 0


def test_a_closed_stage_does_not_change_until_recalculated(program, db):
    may = stages.all_stages()[1]
    with frozen_time(datetime(2026, 6, 2)):
        assert stages.close_due_stages() == 2  # April and May
    with frozen_time(datetime(2026, 6, 20, 12)):
        claims.reverse_claim(program["claim"], program["boss"], "ошибка")
    card = scorecard(stages.all_stages(), PROGRAM, "", TODAY)
    assert _cells(card, "claims_approved") == [0, 1, 0]  # stored when May closed
    with pytest.raises(DomainError):
        stages.recalculate_stage(may, "", program["boss"])
    changes = stages.recalculate_stage(may, "сторно продажи", program["boss"])
    assert changes["claims_approved"] == [1, 0]
    assert _cells(scorecard(stages.all_stages(), PROGRAM, "", TODAY), "claims_approved") == [0, 0, 0]
    assert db.session.scalar(select(KpiStageLog.reason).where(KpiStageLog.action == "recalculated")) == "сторно продажи"


@pytest.mark.parametrize(("code", "value", "total", "expected"), [
    ("registered", "150", False, 150),
    ("registered", " 1 500 ", False, 1500),
    ("active", "60%", True, 6000),
    ("active", 0.6, True, 6000),
    ("sales_amount", "1500,50", False, 150050),
    ("registered", "", False, None),
])
def test_targets_parse(db, code, value, total, expected):
    assert plan.parse_target(code, value, total=total) == expected


@pytest.mark.parametrize(("code", "value", "total"), [
    ("registered", "сто", False), ("registered", "-5", False), ("active", "120", True),
    ("registered", "1.5", False), ("registered", "1e309", False), ("registered", "9" * 40, False),
])
def test_bad_targets_are_refused(db, code, value, total):
    with pytest.raises(DomainError):
        plan.parse_target(code, value, total=total)


def test_overlapping_stages_and_shares_above_registrations_are_refused(program):
    with pytest.raises(DomainError, match="overlap|пересекается"):
        stages.save_stage("Лето", date(2026, 6, 15), date(2026, 7, 15))
    may = stages.all_stages()[1].id
    assert plan.check_plan({("registered", may): 50, ("active", may): 60})


def test_plan_revisions_keep_original_and_revised(program, db):
    april = stages.all_stages()[0].id
    plan.set_targets(PROGRAM, "", {("registered", april): 150}, program["boss"])
    plan.set_targets(PROGRAM, "", {("registered", april): 120}, program["boss"])
    target = plan.targets_for(PROGRAM, "")[("registered", april)]
    assert (target.original, target.target) == (150, 120)
    assert [(r.old_target, r.new_target) for r in plan.revisions()] == [(150, 120), (None, 150)]


def test_one_report_per_period_and_recipient_when_the_job_runs_twice_at_once(app, make):
    with app.app_context():
        stages.add_months(2026, 4, 6)
        boss = make.user(role=MANAGER)
        reports.set_subscriptions(db_user(boss.id), {"weekly", "daily"})
        from portal.extensions import db

        db.session.commit()
    barrier = threading.Barrier(2)
    errors, sent = [], []

    def run():
        with app.app_context(), app.test_request_context(), frozen_time(datetime(2026, 6, 17, 7)):
            from portal.extensions import db

            try:
                barrier.wait(timeout=10)
                sent.append(reports.send_due_reports())
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(sent) == 2
    with app.app_context():
        from portal.extensions import db

        assert db.session.scalar(select(func.count(KpiReportDelivery.id))) == 2
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2
        with frozen_time(datetime(2026, 6, 17, 9)), app.test_request_context():
            assert reports.send_due_reports() == 0  # run again: nothing new


def db_user(user_id):
    from portal.extensions import db

    return db.session.get(User, user_id)


def test_month_stages_read_in_the_readers_language_and_custom_names_stay(app, db):
    from flask_babel import force_locale

    with force_locale("ru"):
        april, may = stages.add_months(2026, 4, 5)
    may.name = "Весенний спринт"
    db.session.flush()
    with force_locale("en"):
        assert (april.name, may.name) == ("April 2026", "Весенний спринт")
    with force_locale("ru"):
        assert april.name == "Апрель 2026" and april.stored_name == "Апрель 2026"


def test_the_dashboards_registrations_chart_draws_the_plan_and_names_its_series(program, app):
    from portal.kpi import dashboard

    plan.set_targets("program", "", {("registered", stages.all_stages()[0].id): 150,
                                     ("registered", stages.all_stages()[1].id): 50}, program["boss"])
    with frozen_time(datetime(2026, 6, 20, 12)), app.test_request_context(headers={"Accept-Language": "ru"}):
        data = dashboard.dashboard_data()
        people = next(c for c in data["charts"] if c["id"] == "trend-people")
        series = {s["label"]: s["data"] for s in people["series"]}
        assert series["План регистраций"] == [150, 50, None]
        assert series["Зарегистрировано в этапе"] == [1, 1, 0]
        funnel = next(c for c in data["charts"] if c["id"] == "funnel")
        assert funnel["labels"][0] == "Зарегистрировано"
