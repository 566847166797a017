"""Placing an order reads before it locks: the cart, the prizes and the tax figures are checked before the
participant's accounts are locked (on SQLite the database's one write lock); under the lock only what another
request could have changed meanwhile is read again, so nothing is overdrawn or ordered twice."""

import pytest
from sqlalchemy import event, select, update

from portal.auth.models import MANAGER
from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.models import REDEMPTION
from portal.shop import services
from portal.shop.models import CartItem, OrderLine
from portal.shop.notifications import prepare_order_update
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
    """What `call` returns, and the statements it sent; a commit is listed as COMMIT."""
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    def commit(conn):
        seen.append("COMMIT")

    event.listen(db.engine, "before_cursor_execute", record)
    event.listen(db.engine, "commit", commit)
    try:
        result = call()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
        event.remove(db.engine, "commit", commit)
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


def lock_window(seen):
    """The statements before the transaction's first write (where SQLite takes its write lock), and from there to
    its commit."""
    first_write = next(i for i, s in enumerate(seen) if s.upper().startswith(WRITES))
    commit = seen.index("COMMIT", first_write)
    return seen[:first_write], seen[first_write:commit]


def test_an_order_holds_the_write_lock_for_a_short_list_of_statements(app, db, buyer):
    ledger.account(REDEMPTION)  # made by the program's first order
    services.add_to_cart(buyer, f.prize(points=500, stock=None), 1)
    services.add_to_cart(buyer, f.prize(name="Рюкзак", points=700), 2)
    db.session.commit()
    db.session.expire_all()

    def place_and_commit():
        order = services.check_out(buyer, request_token="t1", delivery=f.delivery())
        db.session.commit()
        return order

    order, seen = statements_of(place_and_commit)
    _before, locked = lock_window(seen)
    # The order, its lines and event, the stock, the points spent (transaction, entries, lots, totals), the KPI
    # counters of the points, the cart emptied, the delivery remembered, the mail and the bell, the cache versions.
    assert len(locked) <= 26, "\n".join(locked)
    assert order.points == 1900 and ledger.balance_of(buyer.id) == 1100


def test_the_order_mail_and_the_bell_are_prepared_before_the_first_write(app, db, buyer):
    from flask import template_rendered

    from portal.notifications.models import Notification
    from portal.ops.models import OutboxMessage

    services.add_to_cart(buyer, f.prize(points=500), 1)
    db.session.commit()
    seen, rendered = [], []

    def record(sender, template, context, **extra):
        rendered.append((template.name, len(seen)))

    def statement(conn, cursor, sql, *args):
        seen.append(" ".join(sql.split()))

    def commit(conn):
        seen.append("COMMIT")

    template_rendered.connect(record, app)
    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(db.engine, "commit", commit)
    try:
        order = services.check_out(buyer, request_token="t1", delivery=f.delivery())
        db.session.commit()
    finally:
        template_rendered.disconnect(record, app)
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(db.engine, "commit", commit)
    before, locked = lock_window(seen)
    assert {name for name, _ in rendered} >= {"shop/email/order_subject.txt", "shop/email/order_body.txt"}
    assert all(at <= len(before) for name, at in rendered if name.startswith("shop/email/")), (rendered, before)
    assert "FROM mail_preferences" in " ".join(before)
    assert not any("FROM mail_preferences" in s or "FROM users" in s for s in locked), locked
    # Written with the order, and as the order's mail is written once the order exists: its number, its page.
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == buyer.email))
    expected = prepare_order_update(order).mail
    assert mail.subject == expected.subject
    assert mail.body.split("\n-- \n")[0] == expected.body.split("\n-- \n")[0]  # the unsubscribe link differs
    assert f"/shop/orders/{order.id}\n" in mail.body
    bell = db.session.scalar(select(Notification).where(Notification.user_id == buyer.id,
                                                        Notification.kind == "order_updated"))
    assert bell.params == {"id": order.id, "status": order.status}
    assert bell.link.endswith(f"/shop/orders/{order.id}")
