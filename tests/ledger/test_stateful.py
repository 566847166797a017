"""Random sequences of earn, spend, hold, reverse, expire and adjust against a simple model of each person."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import select

from portal.core.time import frozen_time
from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.models import EXPIRE, Account, LedgerEntry, LedgerTransaction
from portal.ledger.reports import check_ledger
from tests import factories
from tests.conftest import _reset_database

PEOPLE = 3


@dataclass
class Person:
    id: int
    available: int = 0
    held: int = 0
    debt: int = 0


@dataclass
class Posted:
    transaction_id: int
    kind: str  # "credit", "debit", "hold"
    person: int
    wallet: int  # points that went into (credit) or out of (debit, hold) the wallet
    settled: int = 0  # debt a credit settled


@dataclass
class Model:
    people: list[Person] = field(default_factory=list)
    open: list[Posted] = field(default_factory=list)


def make_machine(app):
    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.context = app.app_context()
            self.context.push()
            factories.bind(app)
            self.model = Model(people=[Person(factories.user().id) for _ in range(PEOPLE)])
            self.now = datetime(2026, 1, 1, 9, 0)
            self.keys = 0
            self.last_expiry_entry = 0

        def teardown(self):
            db.session.rollback()
            self.context.pop()
            _reset_database(app)

        def key(self):
            self.keys += 1
            return f"k{self.keys}"

        def credit(self, person, points, posted_by):
            settle = min(points, person.debt)
            person.debt -= settle
            person.available += points - settle
            transaction = posted_by()
            db.session.commit()
            self.model.open.append(Posted(transaction.id, "credit", person.id, points - settle, settle))

        @rule(who=st.integers(0, PEOPLE - 1), points=st.integers(1, 500))
        def earn(self, who, points):
            person = self.model.people[who]
            with frozen_time(self.now):
                self.credit(person, points, lambda: ledger.earn(
                    person.id, points, key=self.key(), source_type="sale", source_id=self.keys))

        @rule(who=st.integers(0, PEOPLE - 1), points=st.integers(1, 500), hold=st.booleans())
        def spend(self, who, points, hold):
            person = self.model.people[who]
            with frozen_time(self.now):
                try:
                    transaction = ledger.spend(person.id, points, key=self.key(), source_type="order",
                                               source_id=self.keys, hold=hold)
                except ledger.InsufficientPoints:
                    db.session.rollback()
                    assert person.available < points
                    return
            db.session.commit()
            assert person.available >= points
            person.available -= points
            if hold:
                person.held += points
            self.model.open.append(Posted(transaction.id, "hold" if hold else "debit", person.id, points))

        @rule(who=st.integers(0, PEOPLE - 1), points=st.integers(-300, 300).filter(bool))
        def adjust(self, who, points):
            person = self.model.people[who]
            manager_id = self.model.people[(who + 1) % PEOPLE].id
            with frozen_time(self.now):
                if points > 0:
                    self.credit(person, points, lambda: ledger.adjust(
                        person.id, points, reason="model", actor_id=manager_id, key=self.key()))
                    return
                try:
                    transaction = ledger.adjust(person.id, points, reason="model", actor_id=manager_id, key=self.key())
                except ledger.InsufficientPoints:
                    db.session.rollback()
                    assert person.available < -points
                    return
            db.session.commit()
            person.available += points
            self.model.open.append(Posted(transaction.id, "debit", person.id, -points))

        @precondition(lambda self: self.model.open)
        @rule(pick=st.integers(0, 10_000))
        def reverse(self, pick):
            posted = self.model.open.pop(pick % len(self.model.open))
            person = next(p for p in self.model.people if p.id == posted.person)
            original = db.session.get(LedgerTransaction, posted.transaction_id)
            with frozen_time(self.now):
                ledger.reverse_transaction(original, actor_id=None, reason="model")
            db.session.commit()
            if posted.kind == "credit":
                person.debt += posted.settled
                taken = min(posted.wallet, person.available)
                person.available -= taken
                person.debt += posted.wallet - taken
            elif posted.kind == "debit":
                person.available += posted.wallet
            else:
                person.held -= posted.wallet
                person.available += posted.wallet

        @rule(days=st.integers(0, 400))
        def expire(self, days):
            self.now += timedelta(days=days)
            ledger.expire_due_points(self.now)
            # Expiry is the one thing the model does not predict: it reads what was expired, and checks it
            # only took points that were there.
            rows = db.session.execute(
                select(Account.user_id, LedgerEntry.amount, LedgerEntry.id)
                .join(LedgerEntry, LedgerEntry.account_id == Account.id)
                .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
                .where(LedgerTransaction.kind == EXPIRE, Account.kind == "wallet",
                       LedgerEntry.id > self.last_expiry_entry)
            ).all()
            for user_id, amount, entry_id in rows:
                person = next(p for p in self.model.people if p.id == user_id)
                person.available += amount
                assert person.available >= 0
                self.last_expiry_entry = max(self.last_expiry_entry, entry_id)

        @invariant()
        def balances_match_the_model(self):
            for person in self.model.people:
                assert ledger.balances_of(person.id) == ledger.Balances(person.available, person.held, person.debt)

        @invariant()
        def ledger_is_consistent(self):
            assert check_ledger() == []

    return LedgerMachine


def test_ledger_against_a_model(app):
    run_state_machine_as_test(
        make_machine(app),
        settings=settings(max_examples=25, stateful_step_count=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )
