"""Fault injection: a service that writes leaves every table as it was when anything fails half-way.

For each service below, an exception is raised at the Nth `before_flush`, the Nth `after_flush` and at the
`before_commit` of the session (SQLAlchemy session events), for every N the call reaches, with the caller doing
what a view or the API does: call the service, commit, and roll back on an error. After each injected failure the
committed database must be exactly what it was before the call (rows counted and a checksum of every table). The
last run of each (no fault reached) commits and must change the tables, so the comparison can see a change.
"""

import hashlib
import itertools
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from portal.auth.models import MANAGER
from portal.claims import services as claims
from portal.contests import services as contest_services
from portal.contests.models import SALES_AMOUNT
from portal.core.time import frozen_time
from portal.extensions import db
from portal.kpi import stages
from portal.leads import services as leads
from portal.ledger import services as ledger
from portal.plans import imports as plan_imports
from portal.plans.models import MONTH
from portal.plans.periods import period_of
from portal.products import services as products
from portal.shop import services as shop
from tests.claims import factories as cf
from tests.contests import helpers as contests
from tests.leads import factories as lf
from tests.plans.helpers import NOW, approved_sale
from tests.shop import factories as sf

EVENTS = ("before_flush", "after_flush", "before_commit")
MOST_FLUSHES = 80  # a service that flushes more often than this is a finding of its own
_n = itertools.count(1)


class InjectedFault(Exception):
    """Raised by a session event hook: the failure a crash, a lost connection or a bug would cause there."""


def table_states() -> dict[str, tuple[int, str]]:
    """Every table's committed rows: how many, and a checksum of their values (read on a connection of its own)."""
    states = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            states[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return states


@contextmanager
def fault_at(event_name: str, nth: int):
    """Raise InjectedFault at the `nth` `event_name` of the current session; yields how many were seen."""
    session, seen = db.session(), [0]

    def hook(*args, **kwargs):
        seen[0] += 1
        if seen[0] == nth:
            raise InjectedFault(f"{event_name} #{nth}")

    event.listen(session, event_name, hook)
    try:
        yield seen
    finally:
        event.remove(session, event_name, hook)


def call_as_a_view_does(act: Callable[[], object]) -> bool:
    """The service, then the commit; a failure rolls the transaction back. Returns whether a fault was raised."""
    try:
        act()
        db.session.commit()
    except InjectedFault:
        db.session.rollback()
        return True
    return False


# --- the services, each with what it needs (committed) and the call -----------------------------------


@pytest.fixture
def boss(make):
    return make.user(role=MANAGER)


def approve_claim(make, boss):
    cf.product()
    cf.per_unit_rule(points=100)
    claim = cf.submitted(make.user(), number=f"FI-{next(_n)}")
    return lambda: claims.approve_claim(claim, boss)


def reverse_claim(make, boss):
    cf.product()
    cf.per_unit_rule(points=100)
    claim = cf.submitted(make.user(), number=f"FI-{next(_n)}")
    claims.approve_claim(claim, boss)
    db.session.commit()
    return lambda: claims.reverse_claim(claim, boss, "Возврат товара покупателем")


def finalise_contest(make, boss):
    contests.catalogue()
    contest = contests.contest(boss, metric=SALES_AMOUNT)
    for quantity in (1, 2, 3):
        contests.sale(make.user(), boss, quantity=quantity)
    ended = contest.ends_at + timedelta(minutes=1)

    def act():
        with frozen_time(ended):
            contest_services.finalise_contest(contest, boss)
    return act


def qualify_lead(make, boss):
    channel = lf.channel()
    lf.rule(value=700)
    lead = lf.lead(make.user(), channel.id)
    return lambda: leads.qualify_lead(lead, boss)


def place_order(make, boss):
    buyer = make.user()
    ledger.adjust(buyer.id, 2000, reason="Стартовые баллы", actor_id=boss.id, key=f"fi:{next(_n)}")
    shop.add_to_cart(buyer, sf.prize(points=500, stock=5), quantity=2)
    token = f"fi-{next(_n)}"
    return lambda: shop.place_order(buyer, request_token=token, delivery=sf.delivery())


def import_products(make, boss):
    cf.product(sku="OLD-1")
    text = ("sku;name;category;list_price;cost;active\n"
            "OLD-1;Сплит-система 09 новая;Сплит-системы;52000;41000;1\n"
            "NEW-1;Бризер;Вентиляция;27900;19400;1\n"
            "NEW-2;Пульт;Автоматика;4900;2600;0\n")
    rows = products.check_import(products.read_rows("products.csv", text.encode()))
    return lambda: products.apply_import(rows)


def import_plans(make, boss):
    june = period_of(MONTH, date(2026, 6, 1))
    make.user(email="first@example.test")
    make.user(email="second@example.test")
    text = "почта;метрика;план\nfirst@example.test;units;8\nsecond@example.test;сумма продаж;150 000\n"
    with frozen_time(NOW):
        rows = plan_imports.check_plan_import(products.read_rows("plans.csv", text.encode()), june)

    def act():
        with frozen_time(NOW):
            plan_imports.apply_plan_import(rows, june, boss)
    return act


def close_stage(make, boss):
    stages.add_months(2026, 5, 6)
    cf.product()
    approved_sale(make.user(), boss, date(2026, 5, 20))
    stage = stages.all_stages()[0]

    def act():
        with frozen_time(NOW):
            stages.close_stage(stage, boss)
    return act


SERVICES = [approve_claim, reverse_claim, finalise_contest, qualify_lead, place_order, import_products, import_plans,
            close_stage]


def inject_everywhere(act: Callable[[], object], event_name: str) -> tuple[int, dict[int, list[str]]]:
    """Run `act` with a fault at the 1st, 2nd, ... `event_name` until a run gets past them all and commits.
    Returns how many faults were raised and, per fault that left committed changes, the tables it changed."""
    before = table_states()
    left_behind = {}
    for nth in range(1, MOST_FLUSHES + 1):
        with fault_at(event_name, nth):
            failed = call_as_a_view_does(act)
        after = table_states()
        if not failed:  # the call got past its last such event: it committed, and the tables show it
            assert after != before, "the service wrote nothing: this test could not see a change"
            return nth - 1, left_behind
        changed = sorted(name for name in before if before[name] != after[name])
        if changed:
            left_behind[nth] = changed
            before = after  # what was left is now committed; go on from there
    raise AssertionError(f"more than {MOST_FLUSHES} {event_name} events")


@pytest.mark.parametrize("event_name", EVENTS)
@pytest.mark.parametrize("prepare", SERVICES, ids=[s.__name__ for s in SERVICES])
def test_a_failure_at_any_flush_or_the_commit_leaves_every_table_as_it_was(db, make, boss, prepare, event_name):
    act = prepare(make, boss)
    db.session.commit()
    faults, left_behind = inject_everywhere(act, event_name)
    assert faults >= 1
    assert not left_behind, f"{prepare.__name__} left rows behind after a failure at {event_name}: {left_behind}"


def test_a_service_that_commits_half_way_is_caught(db, make, boss):
    """The harness itself: a 'service' that commits its first write before the second is reported."""
    first, second = make.user(), make.user()

    def commits_half_way():
        ledger.adjust(first.id, 100, reason="Бонус", actor_id=boss.id, key=f"half:{first.id}")
        db.session.commit()  # what a service must never do
        ledger.adjust(second.id, 100, reason="Бонус", actor_id=boss.id, key=f"half:{second.id}")

    faults, left_behind = inject_everywhere(commits_half_way, "before_commit")
    assert faults == 2
    assert "ledger_transactions" in left_behind[2]
