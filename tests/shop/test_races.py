"""One participant, many tabs: parallel adds all count in one cart line, parallel checkouts place one order."""

import threading

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.ledger import services as ledger
from portal.shop.models import CartItem, Order, Prize
from tests.shop import factories as f

DELIVERY = {"address": "Москва, ул. Тверская, д. 1, кв. 5", "phone": "89160001122", "email": ""}


@pytest.fixture
def buyer(app, make, client, login):
    person = make.user(email="buyer@example.test")
    with app.app_context():
        ledger.earn(person.id, 100_000, key="start", source_type="sale", source_id=1)
        db.session.commit()
    login("buyer@example.test")
    return person


def tabs(app, client, n):
    """n test clients signed in with the same session cookie: the same person's browser tabs."""
    cookie = client.get_cookie("session")
    result = []
    for _ in range(n):
        tab = app.test_client()
        tab.set_cookie("session", cookie.value)
        result.append(tab)
    return result


def in_parallel(callables):
    barrier = threading.Barrier(len(callables))
    results = [None] * len(callables)

    def run(i, call):
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            results[i] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(callables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return results


@pytest.mark.parametrize(("stock", "expected"), [(None, 50), (1000, 50), (20, 20)])
def test_fifty_parallel_adds_of_one_count_in_one_line(app, client, buyer, stock, expected):
    with app.app_context():
        prize_id = f.prize(points=10, stock=stock).id
        db.session.commit()
    results = in_parallel([lambda tab=tab: tab.post("/shop/cart", data={"prize_id": prize_id, "quantity": 1})
                           for tab in tabs(app, client, 50)])
    assert all(not isinstance(r, Exception) and r.status_code == 302 for r in results), results
    with app.app_context():
        lines = db.session.scalars(select(CartItem).where(CartItem.prize_id == prize_id)).all()
        assert [line.quantity for line in lines] == [expected]
    refused = [r for r in results if "/shop/prizes/" in r.headers["Location"]]
    assert len(refused) == 50 - expected


def test_an_addition_over_the_stock_leaves_the_cart_as_it_was(app, client, buyer):
    with app.app_context():
        prize_id = f.prize(points=10, stock=3).id
        db.session.commit()
    client.post("/shop/cart", data={"prize_id": prize_id, "quantity": 2})
    page = client.post("/shop/cart", data={"prize_id": prize_id, "quantity": 2}, follow_redirects=True)
    assert "осталось только 3" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CartItem.quantity)) == 2


def test_checking_out_from_many_tabs_places_one_order(app, client, buyer):
    with app.app_context():
        prize_id = f.prize(points=500, stock=50).id
        db.session.commit()
    client.post("/shop/cart", data={"prize_id": prize_id, "quantity": 2})
    forms = []
    for tab in (open_tabs := tabs(app, client, 12)):
        page = tab.get("/shop/checkout").get_data(as_text=True)
        token = page.split('name="request_token" type="hidden" value="')[1].split('"')[0]
        forms.append({**DELIVERY, "request_token": token})
    results = in_parallel([lambda tab=tab, form=form: tab.post("/shop/checkout", data=form)
                           for tab, form in zip(open_tabs, forms, strict=True)])
    assert all(not isinstance(r, Exception) and r.status_code == 302 for r in results), results
    placed = [r for r in results if "/shop/orders/" in r.headers["Location"]]
    losers = [r for r in results if r.headers["Location"].endswith("/shop/orders")]
    assert len(placed) == 1 and len(losers) == 11
    loser = next(n for n, r in enumerate(results) if r.headers["Location"].endswith("/shop/orders"))
    page = open_tabs[loser].get("/shop/orders").get_data(as_text=True)  # any tab but the winner's
    assert "Корзина изменилась" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 1
        assert db.session.get(Prize, prize_id).stock == 48
        assert ledger.balance_of(buyer.id) == 100_000 - 1000
