"""Placing an order reads before it locks: the cart, the prizes and the tax figures are checked before the
participant's accounts are locked (on SQLite the database's one write lock); under the lock only what another
request could have changed meanwhile is read again, so nothing is overdrawn or ordered twice."""

import pytest
from sqlalchemy import event, update

from portal.auth.models import MANAGER
from portal.extensions import db
from portal.ledger import services as ledger
from portal.shop import services
from portal.shop.models import CartItem, OrderLine
from portal.shop.services import checkout
from tests.shop import factories as f

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def buyer(make, db):
    person = make.user()
    ledger.earn(person.id, 3000, key="start", source_type="sale", source_id=1)
    db.session.commit()
    return person


def statements_of(call):
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = call()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return result, seen


def test_the_cart_prizes_and_tax_figures_are_read_before_the_first_write(db, buyer):
    prize = f.prize(points=500)
    services.add_to_cart(buyer, prize, 2)
    db.session.commit()
    db.session.expire_all()
    order, seen = statements_of(lambda: services.place_order(buyer, request_token="t1", delivery=f.delivery()))
    assert order.points == 1000
    first_write = next(i for i, s in enumerate(seen) if s.upper().startswith(WRITES))
    before = " ".join(seen[:first_write])
    for read in ("FROM cart_items", "FROM prizes", "sum(orders.prize_value_kopecks)", "FROM tax_profiles",
                 "FROM program_settings"):
        assert read in before, read
    after = [s for s in seen[first_write:] if s.upper().startswith("SELECT")]
    assert not any("sum(orders.prize_value_kopecks)" in s or "FROM tax_profiles" in s for s in after)


def under_the_lock(monkeypatch, meanwhile):
    """Run `meanwhile` (what another request commits) between the checks and the lock."""
    lock = ledger.lock_participant

    def late(user_id):
        meanwhile()
        lock(user_id)

    monkeypatch.setattr(checkout.ledger, "lock_participant", late)


def test_a_cart_changed_before_the_lock_is_ordered_as_it_is_then(db, buyer, monkeypatch):
    prize = f.prize(points=500)
    services.add_to_cart(buyer, prize, 1)
    db.session.commit()
    under_the_lock(monkeypatch, lambda: db.session.execute(
        update(CartItem).where(CartItem.user_id == buyer.id).values(quantity=3)
        .execution_options(synchronize_session=False)))
    order = services.place_order(buyer, request_token="t1", delivery=f.delivery())
    assert order.points == 1500
    assert [line.quantity for line in db.session.query(OrderLine).filter_by(order_id=order.id)] == [3]
    assert ledger.balance_of(buyer.id) == 1500


def test_points_spent_before_the_lock_are_not_spent_again(db, make, buyer, monkeypatch):
    prize = f.prize(points=2000)
    services.add_to_cart(buyer, prize, 1)
    db.session.commit()
    under_the_lock(monkeypatch, lambda: ledger.adjust(buyer.id, -2000, key="meanwhile", reason="another tab",
                                                      actor_id=make.user(role=MANAGER).id))
    with pytest.raises(ledger.InsufficientPoints):
        services.place_order(buyer, request_token="t1", delivery=f.delivery())
    db.session.rollback()
    assert ledger.balance_of(buyer.id) == 3000  # the adjustment went with the refused order's transaction


def test_an_order_placed_meanwhile_by_the_same_form_is_returned(db, buyer, monkeypatch):
    prize = f.prize(points=500)
    services.add_to_cart(buyer, prize, 1)
    db.session.commit()
    lock, first = ledger.lock_participant, []

    def double_click(user_id):
        if not first:  # the first click's request places the order while the second waits for the lock
            first.append(None)
            first[0] = services.place_order(buyer, request_token="t1", delivery=f.delivery())
        lock(user_id)

    monkeypatch.setattr(checkout.ledger, "lock_participant", double_click)
    again = services.place_order(buyer, request_token="t1", delivery=f.delivery())
    assert again.id == first[0].id
    assert db.session.query(OrderLine).count() == 1 and ledger.balance_of(buyer.id) == 2500
