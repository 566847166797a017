"""The contest's state machine, editing rules, taking part, finalisation and the edge cases."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.claims import services as claims
from portal.contests import boards, lookups, scoring, services
from portal.contests.jobs import run_clock
from portal.contests.models import (
    BY_AUDIENCE,
    CANCELLED,
    COURSES_PASSED,
    DRAFT,
    FINALISED,
    FINISHED,
    FROZEN,
    OPT_IN,
    QUALIFIED_LEADS,
    RUNNING,
    SCHEDULED,
    TRANSITIONS,
    UNITS,
    ContestChange,
    ContestScore,
    ContestWinner,
)
from portal.core import events
from portal.core.errors import DomainError, NotAllowed
from portal.core.time import frozen_time, utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.models import LedgerTransaction
from portal.training.models import CourseCompletion
from tests.contests import helpers as h
from tests.training import factories as tf


@pytest.mark.parametrize(("source", "allowed"), [
    (DRAFT, {SCHEDULED, CANCELLED}),
    (SCHEDULED, {DRAFT, RUNNING, CANCELLED}),
    (RUNNING, {FROZEN, FINISHED, CANCELLED}),
    (FROZEN, {RUNNING, FINISHED, CANCELLED}),  # a manager may unfreeze by hand
    (FINISHED, {FINALISED, CANCELLED}),
    (FINALISED, set()),
    (CANCELLED, set()),
])
def test_state_machine_table(source, allowed):
    assert TRANSITIONS[source] == allowed


def test_the_clock_moves_a_contest_through_its_states_once(db, manager):
    now = utcnow()
    c = h.contest(manager, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=5),
                  freeze_at=now + timedelta(hours=4))
    assert c.status == SCHEDULED
    assert services.advance_contest(c, now + timedelta(hours=2)) == [RUNNING]
    assert services.advance_contest(c, now + timedelta(hours=2)) == []
    assert services.advance_contest(c, now + timedelta(hours=6)) == [FROZEN, FINISHED]
    assert c.frozen_at is not None


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"ends_at": "starts_at"}, "ends_at", "end after it starts"),
    ({"freeze_at": "after_end"}, "freeze_at", "between the start and the end"),
    ({"winners_per_league": 0}, "winners_per_league", "Between 1 and 100"),
    ({"league_mode": "group"}, "group_ids", "Choose the partner groups"),
    ({"metric": "plan_percent"}, "plan_metric", "which plan"),
    ({"prizes": [{"points": 1}] * 4}, "prizes", "More prizes than winners"),
    ({"title": "  "}, "title", "title"),
])
def test_editor_refuses_inconsistent_contests(db, manager, change, field, message):
    data = h.contest_data()
    for key, value in change.items():
        if value == "starts_at":
            value = data.starts_at
        if value == "after_end":
            value = data.ends_at + timedelta(hours=1)
        setattr(data, key, value)
    with pytest.raises(DomainError) as caught:
        services.save_contest(data, manager)
    assert caught.value.field == field
    with force_locale("en"):
        assert message in str(caught.value)


def test_only_staff_run_contests(db, make):
    with pytest.raises(NotAllowed):
        services.save_contest(h.contest_data(), make.user())


def test_running_contest_changes_only_description_and_end_and_logs_them(db, manager, make, shop):
    c = h.contest(manager, metric=UNITS)
    assert c.status == RUNNING
    data = h.contest_data(metric=UNITS, starts_at=c.starts_at, ends_at=c.ends_at)
    data.title = "Другое название"
    with pytest.raises(DomainError) as caught:
        services.save_contest(data, manager, c)
    assert caught.value.field == "title"
    data = h.contest_data(metric=UNITS, starts_at=c.starts_at, ends_at=c.ends_at + timedelta(days=3),
                          description="Продлили на три дня")
    services.save_contest(data, manager, c)
    assert c.description == "Продлили на три дня"
    logged = db.session.scalars(select(ContestChange.field).where(ContestChange.contest_id == c.id)).all()
    assert sorted(logged) == ["description", "ends_at"]
    with pytest.raises(DomainError):
        services.save_contest(h.contest_data(metric=UNITS, starts_at=c.starts_at,
                                             ends_at=utcnow() - timedelta(minutes=1)), manager, c)


def test_ended_contest_cannot_be_edited(db, manager):
    c = h.contest(manager)
    with frozen_time(c.ends_at + timedelta(minutes=1)):
        with pytest.raises(DomainError):
            services.save_contest(h.contest_data(), manager, c)
    assert c.status == FINISHED


def test_opt_in_counts_results_since_the_start_once_joined(db, make, manager, shop):
    c = h.contest(manager, metric=UNITS, enrolment=OPT_IN)
    person = make.user()
    h.sale(person, manager, quantity=4)
    assert boards.my_rows(c.id, person.id) == []
    services.join_contest(c, person)
    services.join_contest(c, person)  # twice changes nothing
    assert boards.score_of(c.id, c.leagues[0].id, person.id).value == 4
    h.sale(person, manager, quantity=1)
    assert boards.score_of(c.id, c.leagues[0].id, person.id).value == 5
    with pytest.raises(DomainError):
        services.join_contest(h.contest(manager, title="Авто"), person)


def test_people_registered_after_the_start_are_excluded_when_the_contest_says_so(db, make, manager, shop):
    c = h.contest(manager, metric=UNITS, late_joiners="excluded")
    newcomer = make.user()  # created now, after the start ten days ago
    h.sale(newcomer, manager)
    assert boards.my_rows(c.id, newcomer.id) == []
    assert not services.may_take_part(c, newcomer)


def test_audience_leagues_and_an_empty_league(db, make, manager, shop):
    c = h.contest(manager, metric=UNITS, league_mode=BY_AUDIENCE)
    seller = make.user(audience="manager")
    h.sale(seller, manager, quantity=2)
    managers_league, specialists_league = c.leagues
    assert boards.count_on_board(c.id, managers_league.id) == 1
    assert boards.count_on_board(c.id, specialists_league.id) == 0
    with frozen_time(c.ends_at + timedelta(minutes=1)):
        winners = services.finalise_contest(c, manager)
    assert [w.league_id for w in winners] == [managers_league.id]
    assert specialists_league.participants_final == 0


def test_overlapping_contests_both_count_a_sale(db, make, manager, shop):
    a = h.contest(manager, metric=UNITS, title="А")
    b = h.contest(manager, metric=UNITS, title="Б", starts_at=a.starts_at + timedelta(days=1))
    person = make.user()
    h.sale(person, manager, quantity=2)
    assert [c.id for c in lookups.overlapping(a)] == [b.id]
    assert boards.score_of(a.id, a.leagues[0].id, person.id).value == 2
    assert boards.score_of(b.id, b.leagues[0].id, person.id).value == 2


def test_the_overlap_notice_speaks_of_what_the_two_contests_count(app, db, make, manager, shop):
    from flask_babel import force_locale

    from portal.contests.models import COURSES_PASSED

    sales = h.contest(manager, metric=UNITS, title="Продажи")
    courses = h.contest(manager, metric=COURSES_PASSED, title="Курсы", starts_at=sales.starts_at + timedelta(days=1))
    h.contest(manager, metric=COURSES_PASSED, title="Ещё курсы", starts_at=sales.starts_at + timedelta(days=2))
    with app.test_request_context(), force_locale("en"):
        notices = lookups.overlap_notices(courses)
    assert len(notices) == 2
    assert "count different things" in notices[0] and "sale counts" not in notices[0]
    assert "a passed course counts in both" in notices[1]


def test_deactivated_product_still_counts_and_is_shown(db, make, manager, shop):
    pipe = db.session.scalar(select(h.cf.Product).where(h.cf.Product.sku == "PIPE"))
    c = h.contest(manager, metric=UNITS, product_ids=[pipe.id])
    person = make.user()
    h.sale(person, manager, quantity=3, sku="PIPE", price=100_000)
    h.sale(person, manager, quantity=7, sku="SPL-09")  # not a contest product
    pipe.active = False
    db.session.flush()
    assert boards.score_of(c.id, c.leagues[0].id, person.id).value == 3
    assert [p.sku for p in lookups.inactive_products(c)] == ["PIPE"]
    assert scoring.recompute_all(fix=False) == []


def test_contest_with_nobody_finalises_without_winners(db, manager):
    c = h.contest(manager)
    with frozen_time(c.ends_at + timedelta(minutes=1)):
        assert services.finalise_contest(c, manager) == []
    assert c.status == FINALISED and c.leagues[0].participants_final == 0


def test_finalise_needs_the_end_and_happens_once(db, make, manager, shop):
    c = h.contest(manager, metric=UNITS)
    people = [make.user() for _ in range(4)]
    for quantity, person in enumerate(people, start=1):
        h.sale(person, manager, quantity=quantity)
    with pytest.raises(DomainError):
        services.finalise_contest(c, manager)  # still running
    pending = h.sale(people[0], manager, quantity=10, approve=False)
    with frozen_time(c.ends_at + timedelta(minutes=1)):
        services.advance_contest(c)
        assert [claim.id for claim, _, _ in lookups.pending_claims(c)] == [pending.id]
        winners = services.finalise_contest(c, manager)
        with pytest.raises(services.AlreadyFinalised):
            services.finalise_contest(c, manager)
    assert [(w.place, w.user_id, w.prize_points) for w in winners] == [
        (1, people[3].id, 5000), (2, people[2].id, 3000), (3, people[1].id, 1000)]
    assert [ledger.balance_of(p.id) for p in people] == [0, 1000, 3000, 5000]  # sales earn no points here
    keys = db.session.scalars(select(LedgerTransaction.idempotency_key).where(
        LedgerTransaction.source_type == "contest")).all()
    assert sorted(keys) == sorted(f"contest:{c.id}:league:{c.leagues[0].id}:place:{w.place}:user:{w.user_id}"
                                  for w in winners)


def test_claim_reversed_after_finalisation_keeps_the_winners_and_is_shown(db, make, manager, shop):
    c = h.contest(manager, metric=UNITS)
    winner, runner = make.user(), make.user()
    big = h.sale(winner, manager, quantity=9)
    h.sale(runner, manager, quantity=2)
    with frozen_time(c.ends_at + timedelta(minutes=1)):
        services.finalise_contest(c, manager)
    with frozen_time(c.ends_at + timedelta(hours=1)):
        claims.reverse_claim(big, manager, "Возврат товара")
    first = db.session.scalar(select(ContestWinner).where(ContestWinner.contest_id == c.id,
                                                          ContestWinner.place == 1))
    assert (first.user_id, first.value) == (winner.id, 9)
    assert [claim.id for claim, _, _ in lookups.reversed_after_final(c)] == [big.id]
    assert scoring.recompute_all(fix=False) == []


def test_courses_passed_metric_and_why(db, make, manager):
    c = h.contest(manager, metric=COURSES_PASSED)
    person = make.user()
    course = tf.course()
    completion = CourseCompletion(user_id=person.id, course_id=course.id, company_id=person.company_id,
                                  passed_at=utcnow(), attempts=1, points=0)
    db.session.add(completion)
    db.session.flush()
    events.course_passed.send(completion)
    assert boards.score_of(c.id, c.leagues[0].id, person.id).value == 1
    assert [item.label for item in lookups.why_value(c, person.id, c.leagues[0].id)] == ["Основы"]
    assert scoring.recompute_all(fix=False) == []


def test_qualified_leads_receiver_counts_a_lead(db, make, manager):
    c = h.contest(manager, metric=QUALIFIED_LEADS)
    person = make.user()
    lead = SimpleNamespace(id=1, user_id=person.id, company_id=person.company_id, qualified_at=utcnow())
    events.lead_qualified.send(lead, actor=manager)
    events.lead_qualified.send(SimpleNamespace(id=2, user_id=person.id, company_id=person.company_id,
                                               qualified_at=c.ends_at + timedelta(days=1)), actor=manager)
    assert boards.score_of(c.id, c.leagues[0].id, person.id).value == 1


def test_why_value_lists_the_sales_that_counted(db, make, manager, shop):
    c = h.contest(manager, metric=UNITS)
    person = make.user()
    kept = h.sale(person, manager, quantity=2)
    gone = h.sale(person, manager, quantity=5)
    claims.reverse_claim(gone, manager, "Возврат")
    items = lookups.why_value(c, person.id, c.leagues[0].id)
    assert [(i.id, i.amount, i.counted) for i in items] == [(kept.id, 2, True), (gone.id, 5, False)]


def test_recompute_reports_and_fixes_drift(db, make, manager, shop):
    c = h.contest(manager, metric=UNITS)
    person = make.user()
    h.sale(person, manager, quantity=2)
    row = boards.score_of(c.id, c.leagues[0].id, person.id)
    row.value = row.actual = 99
    db.session.flush()
    drift = scoring.recompute_all()
    assert len(drift) == 1 and f"user {person.id}" in drift[0]
    assert scoring.recompute_all(fix=False) == []
    assert boards.score_of(c.id, c.leagues[0].id, person.id).value == 2


def test_cancelled_contest_stops_counting(db, make, manager, shop):
    c = h.contest(manager, metric=UNITS)
    services.cancel_contest(c, manager)
    h.sale(make.user(), manager)
    assert db.session.scalar(select(func.count(ContestScore.id)).where(ContestScore.contest_id == c.id)) == 0
    with pytest.raises(DomainError):
        services.cancel_contest(c, manager)


def test_clock_job_mails_start_and_results_once(app, make, mailbox):
    with app.test_request_context():
        boss = make.user(role="manager")
        person = make.user(email="anna@example.test", locale="en")
        h.catalogue()
        now = utcnow()
        c = h.contest(boss, metric=UNITS, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(days=2))
        db.session.commit()
        assert "0 start mails" in run_clock(now)
        assert "1 contest moves, 1 start mails" in run_clock(now + timedelta(hours=2))
        assert run_clock(now + timedelta(hours=3)).startswith("0 contest moves, 0 start mails")
        assert mailbox.last_to("anna@example.test")["Subject"] == "The contest «Весенний спринт» has started"
        with frozen_time(now + timedelta(hours=2)):
            h.sale(person, boss, quantity=3, days_ago=0)
        run_clock(now + timedelta(days=3))
        c = db.session.get(type(c), c.id)
        assert c.status == FINISHED
        services.finalise_contest(c, boss)
        db.session.commit()
        assert "1 result mails" in run_clock(now + timedelta(days=3))
        body = mailbox.last_to("anna@example.test").get_content()
        assert "you took place 1" in body and "5,000 points" in body
