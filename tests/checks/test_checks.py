"""Each check alone: clean on a consistent program, a finding in people's words when its counter drifted, and the
stored rows as they were afterwards (a check never repairs)."""

from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select, update

from portal.auth.models import MANAGER
from portal.checks import consistency, sources
from portal.checks.runner import checks
from portal.claims import services as claims
from portal.contests.models import ContestBoardBucket, ContestScore
from portal.core.time import frozen_time, utcnow
from portal.kpi import stages
from portal.kpi.models import KpiCounter, KpiPersonScope
from portal.leads import services as leads
from portal.leads.models import QUALIFIED, Lead
from portal.ledger import services as ledger
from portal.ledger.models import Account
from portal.payments.models import Payment
from portal.plans.models import PlanActual
from portal.shop.models import CANCELLED, PAID, Order
from portal.training import services as training
from tests.claims import factories as cf
from tests.contests import helpers as contests
from tests.leads import factories as lf
from tests.plans.helpers import NOW, approved_sale
from tests.training import factories as tf


def said(findings) -> list[str]:
    with force_locale("en"):
        return [str(finding) for finding in findings]


@pytest.fixture
def boss(make):
    return make.user(role=MANAGER, full_name="Белов Кирилл")


@pytest.fixture
def seller(make):
    return make.user(full_name="Орлова Анна")


def test_every_check_is_registered_once():
    names = [check.run.__name__ for check in checks()]
    assert len(names) == len(set(names)) == 14


# --- the ledger ------------------------------------------------------------------------------------


def test_ledger_reports_a_balance_changed_behind_its_back(db, seller, boss):
    ledger.adjust(seller.id, 500, reason="Бонус", actor_id=boss.id, key="t:1")
    assert consistency.ledger_drift() == []
    db.session.execute(update(Account).where(Account.code == f"wallet:{seller.id}").values(balance=900))
    [finding] = [f for f in said(consistency.ledger_drift()) if "stored balance" in f]
    assert finding.startswith("The points ledger disagrees with itself: account wallet:")


# --- credits and their sources ---------------------------------------------------------------------


def test_a_course_credit_for_a_course_not_passed_is_reported(db, seller):
    course = tf.course(points=800)
    ledger.earn(seller.id, 800, key="demo:course", source_type="course", source_id=course.id)
    assert said(sources.unjustified_credits()) == [
        f"Орлова Анна was credited 800 points (transaction #1), but the person has not passed course #{course.id}."]


def test_a_course_passed_through_training_justifies_its_credit(db, seller):
    course = tf.course(points=800)
    quiz = tf.quiz_of(course)
    training.submit_quiz(seller, quiz, tf.right_answers(quiz))
    assert sources.unjustified_credits() == []


def test_a_credit_from_a_source_nobody_knows_is_reported(db, seller):
    ledger.earn(seller.id, 300, key="x", source_type="welcome", source_id=seller.id)
    assert said(sources.unjustified_credits()) == [
        "Орлова Анна was credited 300 points (transaction #1), but nothing in the program credits points from a "
        "source called «welcome»."]


def test_an_approved_sale_justifies_its_points_and_someone_elses_sale_does_not(db, make, seller, boss):
    cf.product()
    cf.per_unit_rule(points=100)
    claim = cf.submitted(seller)
    claims.approve_claim(claim, boss)
    assert sources.unjustified_credits() == []
    other = make.user(full_name="Чужой Пётр")
    ledger.earn(other.id, 100, key="stolen", source_type="claim", source_id=claim.id)
    [finding] = said(sources.unjustified_credits())
    assert finding.startswith("Чужой Пётр was credited 100 points")
    assert finding.endswith(f"but sale #{claim.id} is not an approved sale of this person.")


def test_a_reversed_sale_keeps_its_credit_justified_and_the_reversal_is_no_credit(db, seller, boss):
    cf.product()
    cf.per_unit_rule(points=100)
    claim = cf.submitted(seller)
    claims.approve_claim(claim, boss)
    claims.reverse_claim(claim, boss, "Возврат товара")
    assert sources.unjustified_credits() == []


def test_an_adjustment_with_its_reason_is_justified(db, seller, boss):
    ledger.adjust(seller.id, 150, reason="Бонус за выставку", actor_id=boss.id, key="adj")
    assert sources.unjustified_credits() == []


def test_a_qualified_lead_justifies_its_reward(db, seller, boss):
    channel = lf.channel()
    lf.rule(value=700)
    lead = lf.lead(seller, channel.id)
    leads.qualify_lead(lead, boss)
    assert sources.unjustified_credits() == []
    ledger.earn(seller.id, 700, key="again", source_type="lead", source_id=lead.id + 1)
    [finding] = said(sources.unjustified_credits())
    assert finding.endswith(f"but lead #{lead.id + 1} is not a qualified lead of this person.")


# --- contests --------------------------------------------------------------------------------------


def test_a_contest_score_changed_behind_its_back_is_reported_and_left_as_it_was(db, make, boss):
    contests.catalogue()
    person = make.user()
    contest = contests.contest(boss, title="Летний спринт")
    contests.sale(person, boss, quantity=2)
    assert consistency.contest_drift() == []
    db.session.execute(update(ContestScore).values(actual=1, value=1))
    assert said(consistency.contest_drift()) == [
        "Contest «Летний спринт»: 1 scores differ from the sales, courses and leads they count "
        "(`flask portal recompute-contests` rebuilds them)."]
    assert db.session.execute(select(ContestScore.actual, ContestScore.value)).all() == [(1, 1)]
    assert contest.id


def test_board_counts_changed_around_the_triggers_are_reported(db, make, boss):
    contests.catalogue()
    person = make.user()
    contests.contest(boss, title="Летний спринт")
    contests.sale(person, boss)
    db.session.execute(update(ContestBoardBucket).values(n=ContestBoardBucket.n + 5))
    assert said(consistency.contest_drift()) == [
        "Contest «Летний спринт»: the board's counts of people per score range differ from the scores, so places "
        "shown may be wrong."]


# --- KPI and plans ---------------------------------------------------------------------------------


def test_kpi_counters_are_compared_with_a_rebuild_that_is_rolled_back(db, seller, boss):
    stages.add_months(2026, 6, 6)
    cf.product()
    approved_sale(seller, boss, date(2026, 6, 10))
    with frozen_time(NOW):
        assert consistency.kpi_drift() == []
        db.session.execute(update(KpiCounter).values(claims_approved=KpiCounter.claims_approved + 7))
        stored = db.session.execute(select(KpiCounter.id, KpiCounter.claims_approved)).all()
        with force_locale("en"):
            findings = said(consistency.kpi_drift())
    assert findings and all(f.startswith("KPI stage «June 2026»: ") for f in findings)
    assert "counters differ from the registrations, sales, courses, leads and points they count." in findings[0]
    assert db.session.execute(select(KpiCounter.id, KpiCounter.claims_approved)).all() == stored


def test_a_reversed_sale_leaves_the_kpi_counters_clean(db, seller, boss):
    """Found by tests/test_program_stateful.py: a reversal leaves the seller's people-per-stage rows at zero, which
    count for nothing (the rebuild has no such rows); the check compared them as rows and reported drift."""
    stages.add_months(2026, 6, 6)
    cf.product()
    with frozen_time(NOW):
        claim = approved_sale(seller, boss, date(2026, 6, 10))
        claims.reverse_claim(claim, boss, "Возврат")
        assert consistency.kpi_drift() == []
        claim = approved_sale(seller, boss, date(2026, 6, 11))
        assert consistency.kpi_drift() == []
        db.session.execute(update(KpiPersonScope).values(sales=KpiPersonScope.sales + 1))
        assert consistency.kpi_drift()  # a row that does count, changed, is still reported


def test_plan_actuals_changed_behind_their_back_are_reported(db, seller, boss):
    cf.product()
    approved_sale(seller, boss, date(2026, 6, 10))
    assert consistency.plan_actual_drift() == []
    db.session.execute(update(PlanActual).values(approved_claims=3))
    with force_locale("en"):
        [finding] = said(consistency.plan_actual_drift())
    assert finding.startswith("Sales plan of Орлова Анна for June 2026: the results kept differ")
    assert finding.endswith(": 3 → 1).")
    assert db.session.scalar(select(PlanActual.approved_claims)) == 3


# --- leads, orders and payments -------------------------------------------------------------------


def test_two_leads_holding_one_customer_are_reported(db, make, seller, boss):
    channel = lf.channel()
    first = lf.lead(seller, channel.id)
    second = lf.lead(make.user(), channel.id, customer_inn=lf.customer_inn())
    leads.qualify_lead(first, boss)
    assert consistency.lead_holder_drift() == []
    db.session.execute(update(Lead).where(Lead.id == second.id).values(
        status=QUALIFIED, customer_inn=first.customer_inn, holder_inn=None,  # a duplicate from before the index
        protected_until=utcnow() + timedelta(days=30)))
    assert said(consistency.lead_holder_drift()) == [
        f"The customer with INN {first.customer_inn} is held by 2 leads at once: #{first.id}, #{second.id}."]


_tokens = iter(range(1, 10**6))


def _order(user, status, card_kopecks, payment_status=None, amount=None):
    order = Order(user_id=user.id, status=status, request_token=f"t-{next(_tokens)}", points=0,
                  card_kopecks=card_kopecks, prize_value_kopecks=10_000)
    from portal.extensions import db

    db.session.add(order)
    db.session.flush()
    if payment_status:
        db.session.add(Payment(order_id=order.id, intent_id=f"pi_{order.id}", client_secret="s",
                               amount_kopecks=amount or card_kopecks, status=payment_status))
        db.session.flush()
    return order


def test_orders_and_card_payments_that_disagree_are_reported(db, seller):
    good = _order(seller, PAID, 5_000, "succeeded")
    assert consistency.order_payment_drift() == []
    unpaid = _order(seller, PAID, 5_000, "created")
    kept = _order(seller, CANCELLED, 5_000, "succeeded")
    wrong = _order(seller, PAID, 5_000, "succeeded", amount=7_000)
    assert said(consistency.order_payment_drift()) == [
        f"Order #{unpaid.id} (Paid) has 0 succeeded card payments; it should have one.",
        f"Order #{unpaid.id} (Paid): a card payment attempt is still in progress.",
        f"Order #{kept.id} (Cancelled): a card payment was taken and not refunded.",
        f"Order #{wrong.id}: the card payment is for 7000 kopecks, the order's card share is 5000 kopecks.",
    ]
    assert good.id


def test_findings_read_in_russian_by_default(db, seller):
    ledger.earn(seller.id, 300, key="x", source_type="sale", source_id=1)
    with force_locale("ru"):
        [finding] = [str(f) for f in sources.unjustified_credits()]
    assert finding.startswith("Орлова Анна: начислено баллов: 300 (операция №1)")


def test_the_source_check_is_one_query_however_many_credits(db, seller):
    for n in range(5):
        ledger.earn(seller.id, 100 + n, key=f"x{n}", source_type="course", source_id=n)
    statements = []
    from sqlalchemy import event

    from portal.extensions import db as _db

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        sources.unjustified_credits()
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
