"""After any sequence of approvals, reversals, passed courses and moves, every rollup equals the recomputation."""

from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from portal.auth.models import MANAGER
from portal.claims import services as claims
from portal.contests import scoring
from portal.contests.models import BY_GROUP, COURSES_PASSED, PLAN_PERCENT, SALES_AMOUNT, UNITS
from portal.core import events
from portal.core.time import frozen_time, utcnow
from portal.extensions import db
from portal.partners.services import move_participant
from portal.plans.models import SalesPlan
from portal.program.services import get_settings
from portal.training.models import CourseCompletion
from tests import factories
from tests.conftest import _reset_database
from tests.contests import helpers as h
from tests.training import factories as tf

PEOPLE = 4
COURSES = 3


def make_machine(app):
    class ContestMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.context = app.test_request_context()
            self.context.push()
            factories.bind(app)
            h.catalogue()
            get_settings().first_sale_bonus = 0
            self.manager = factories.user(role=MANAGER)
            self.companies = [factories.company(), factories.company()]
            g1 = h.group("Дилеры Москвы", self.companies[0])
            g2 = h.group("Регионы", self.companies[1])
            self.people = [factories.user(company=self.companies[i % 2]) for i in range(PEOPLE)]
            self.pipe = db.session.scalar(db.select(h.cf.Product.id).where(h.cf.Product.sku == "PIPE"))
            h.contest(self.manager, title="Группы", league_mode=BY_GROUP, group_ids=[g1.id, g2.id])
            h.contest(self.manager, title="Трубы", metric=UNITS, product_ids=[self.pipe])
            h.contest(self.manager, title="Курсы", metric=COURSES_PASSED)
            plan = h.contest(self.manager, title="План", metric=PLAN_PERCENT, plan_metric=SALES_AMOUNT,
                             publish=False)
            first, last = scoring.period_dates(plan)
            db.session.add(SalesPlan(user_id=self.people[0].id, metric=SALES_AMOUNT, period_start=first,
                                     period_end=last, target=3_000_000))
            h.services.publish_contest(plan, self.manager)
            self.courses = [tf.course(title=f"Курс {i}") for i in range(COURSES)]
            db.session.commit()
            self.approved = []
            self.passed = set()
            self.now = utcnow()

        def teardown(self):
            db.session.rollback()
            self.context.pop()
            _reset_database(app)

        def tick(self):
            self.now += timedelta(minutes=1)
            return frozen_time(self.now)

        @rule(who=st.integers(0, PEOPLE - 1), quantity=st.integers(1, 5), pipe=st.booleans(),
              days_ago=st.sampled_from([1, 3, 20]))
        def approve(self, who, quantity, pipe, days_ago):
            with self.tick():
                claim = h.sale(self.people[who], self.manager, quantity=quantity, sku="PIPE" if pipe else "SPL-09",
                               price=100_000 if pipe else 1_000_000, days_ago=days_ago)
            db.session.commit()
            self.approved.append(claim.id)

        @precondition(lambda self: self.approved)
        @rule(data=st.data())
        def reverse(self, data):
            claim_id = data.draw(st.sampled_from(self.approved))
            self.approved.remove(claim_id)
            with self.tick():
                claims.reverse_claim(db.session.get(claims.Claim, claim_id), self.manager, "Возврат")
            db.session.commit()

        @rule(who=st.integers(0, PEOPLE - 1), course=st.integers(0, COURSES - 1))
        def pass_course(self, who, course):
            person, item = self.people[who], self.courses[course]
            if (person.id, item.id) in self.passed:
                return
            self.passed.add((person.id, item.id))
            with self.tick():
                completion = CourseCompletion(user_id=person.id, course_id=item.id, company_id=person.company_id,
                                              passed_at=utcnow(), attempts=1, points=0)
                db.session.add(completion)
                db.session.flush()
                events.course_passed.send(completion)
            db.session.commit()

        @rule(who=st.integers(0, PEOPLE - 1))
        def move(self, who):
            person = self.people[who]
            target = next(c for c in self.companies if c.id != person.company_id)
            with self.tick():
                move_participant(person, target, self.manager)
            db.session.commit()

        @invariant()
        def rollups_equal_the_recomputation(self):
            assert scoring.recompute_all(fix=False) == []

    return ContestMachine


def test_rollups_equal_recomputation_after_any_sequence(app):
    run_state_machine_as_test(
        make_machine(app),
        settings=settings(max_examples=15, stateful_step_count=20, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]),
    )
