import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.auth.models import MANAGER, User
from portal.extensions import db
from portal.ledger import services as ledger
from portal.shop import services
from portal.shop.models import SHIPPED, Order, Prize
from tests.shop import factories as f


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)


@pytest.fixture
def shop(app, make):
    buyer = make.user(email="buyer@example.test", full_name="Покупатель Пётр")
    make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        ledger.earn(buyer.id, 2000, key="start", source_type="sale", source_id=1)
        prize_id = f.prize(name="Термокружка", points=900, stock=3).id
        db.session.commit()
    return buyer, prize_id


def test_browse_order_and_the_manager_ships(app, client, login, shop, mailbox):
    buyer, prize_id = shop
    login("buyer@example.test")
    assert "Термокружка" in client.get("/shop?affordable=1").get_data(as_text=True)
    client.post("/shop/cart", data={"prize_id": prize_id, "quantity": 2})
    page = client.get("/shop/checkout").get_data(as_text=True)
    assert 'data-testid="balance-after">200<' in page
    token = page.split('name="request_token" type="hidden" value="')[1].split('"')[0]
    form = {"request_token": token, "address": "Москва, ул. Тверская, д. 1, кв. 5", "phone": "89160001122",
            "email": ""}
    response = client.post("/shop/checkout", data=form)
    assert response.status_code == 302
    client.post("/shop/checkout", data=form)  # the same form again: no second order
    with app.app_context():
        orders = db.session.scalars(select(Order)).all()
        assert len(orders) == 1 and db.session.get(Prize, prize_id).stock == 1
        order_id = orders[0].id
    assert "оформлен" in mailbox.last_to("buyer@example.test")["Subject"].lower()

    login("manager@example.test")
    client.post("/console/orders/bulk", data={"order_ids": [order_id], "action": "approve"})
    client.post(f"/console/orders/{order_id}/ship", data={"tracking_number": "RU123456789"})
    export = client.get("/console/orders/export.xlsx?status=shipped")
    rows = list(load_workbook(io.BytesIO(export.data)).active.values)
    assert rows[1][2] == "Покупатель Пётр" and rows[1][6] == "Термокружка"
    with app.app_context():
        assert db.session.get(Order, order_id).status == SHIPPED
    assert "RU123456789" in mailbox.body(mailbox.last_to("buyer@example.test"))


def test_orders_of_others_are_not_found(app, client, login, shop, make):
    buyer, prize_id = shop
    with app.app_context():
        person = db.session.get(User, buyer.id)
        services.add_to_cart(person, db.session.get(Prize, prize_id))
        order = services.place_order(person, request_token="t", delivery=f.delivery())
        db.session.commit()
        order_id = order.id
    make.user(email="other@example.test")
    login("other@example.test")
    assert client.get(f"/shop/orders/{order_id}").status_code == 404
    assert client.post(f"/shop/orders/{order_id}/cancel").status_code == 404
    assert client.get("/console/orders").status_code == 403


def test_checkout_without_address_keeps_the_cart(app, client, login, shop):
    buyer, prize_id = shop
    login("buyer@example.test")
    client.post("/shop/cart", data={"prize_id": prize_id, "quantity": 1})
    page = client.post("/shop/checkout", data={"request_token": "abc", "address": "", "phone": "", "email": ""})
    assert "Укажите адрес доставки" in page.get_data(as_text=True)
    with app.app_context():
        assert len(services.cart_of(db.session.get(User, buyer.id))) == 1
        assert ledger.balance_of(buyer.id) == 2000


def test_a_cart_ordered_from_another_tab_meanwhile_sends_the_buyer_to_their_orders(app, client, login, shop,
                                                                                   monkeypatch):
    buyer, prize_id = shop
    login("buyer@example.test")
    client.post("/shop/cart", data={"prize_id": prize_id, "quantity": 1})
    check_out = services.check_out

    def another_tab_orders_first(user, **kwargs):
        services.place_order(user, request_token="other-tab", delivery=f.delivery())
        return check_out(user, **kwargs)

    monkeypatch.setattr(services, "check_out", another_tab_orders_first)
    response = client.post("/shop/checkout", data={
        "request_token": "this-tab", "address": "Москва, ул. Тверская, д. 1, кв. 5", "phone": "+7 916 000-11-22",
        "email": ""})
    assert response.status_code == 302 and response.location.endswith("/shop/orders")
    assert "Корзина изменилась, пока вы оформляли заказ" in client.get("/shop/orders").get_data(as_text=True)


def test_manager_adds_a_prize_with_a_photo_and_adjusts_stock(app, client, login, shop):
    from portal.shop.demo import picture

    login("manager@example.test")
    response = client.post("/console/prizes/new", data={
        "name": "Рюкзак", "category": "Аксессуары", "description": "", "price_points": "2500", "value": "",
        "stock": "4", "audience": "", "active": "y",
        "image": (io.BytesIO(picture("Рюкзак", (10, 80, 160), 0)), "r.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        prize = db.session.scalar(select(Prize).where(Prize.name == "Рюкзак"))
        assert prize.thumb_path and prize.stock == 4
        prize_id = prize.id
    bad = client.post(f"/console/prizes/{prize_id}/stock", data={"delta": "-10", "reason": "списание"},
                      follow_redirects=True)
    assert "Остаток не может стать отрицательным" in bad.get_data(as_text=True)
    client.post(f"/console/prizes/{prize_id}/stock", data={"delta": "6", "reason": "поставка"})
    with app.app_context():
        assert db.session.get(Prize, prize_id).stock == 10
    with client.get(f"/shop/images/{prize.thumb_path}") as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
    fake = client.post("/console/prizes/new", data={
        "name": "X", "category": "Y", "price_points": "1", "audience": "", "description": "", "value": "",
        "stock": "", "image": (io.BytesIO(b"not an image"), "x.png")},
        content_type="multipart/form-data")
    assert "Загрузите изображение JPEG или PNG." in fake.get_data(as_text=True)


def test_a_declined_card_on_the_pay_page_keeps_the_order_open_for_another_card(app, client, login, make, stripe):
    from portal.shop.models import AWAITING_PAYMENT
    from tests.payments_helpers import card_token

    buyer = make.user(email="copay@example.test")
    with app.app_context():
        ledger.earn(buyer.id, 3000, key="start", source_type="sale", source_id=1)
        person = db.session.get(User, buyer.id)
        services.add_to_cart(person, f.prize(points=4000, stock=2))
        order = services.place_order(person, request_token="co", delivery=f.delivery(), pay_rest_by_card=True)
        db.session.commit()
        order_id = order.id
        deadline = services.payment_deadline(order)
    login("copay@example.test")
    response = client.post(f"/shop/orders/{order_id}/pay", json={"token": card_token(stripe, "charge_fail")},
                           headers={"X-CSRFToken": "x"})
    assert response.status_code == 402
    answer = response.get_json()
    assert answer["status"] == AWAITING_PAYMENT
    assert "Попробуйте другую карту" in answer["error"] and "ждёт оплаты до" in answer["error"]
    page = client.get(f"/shop/orders/{order_id}/pay").get_data(as_text=True)
    assert 'data-testid="pay-deadline"' in page and f"{(deadline.hour + 3) % 24:02d}:{deadline.minute:02d}" in page
    order_page = client.get(f"/shop/orders/{order_id}").get_data(as_text=True)
    assert "карта отклонена" in order_page and f'href="/shop/orders/{order_id}/pay"' in order_page
    with app.app_context():
        assert db.session.get(Order, order_id).status == AWAITING_PAYMENT
        assert ledger.balances_of(buyer.id) == ledger.Balances(available=0, held=3000, debt=0)


def test_the_catalogue_is_cached_per_person_and_shows_every_change_on_the_next_request(app, client, login, shop):
    from sqlalchemy import event, update

    buyer, prize_id = shop
    login("buyer@example.test")

    def catalogue(path="/shop") -> tuple[str, int]:
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            page = client.get(path).get_data(as_text=True)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return page, len(seen)

    first, _ = catalogue()
    again, statements = catalogue()
    assert again == first and statements == 1  # from the cache: only the signed-in person is read
    assert 'data-testid="shop-balance">2\xa0000<' in first
    client.post("/shop/cart", data={"prize_id": prize_id, "quantity": 1})  # the cart's count
    assert 'data-testid="cart-link">Корзина <span class="badge bg-primary">1</span>' in catalogue()[0]
    with app.app_context():  # points posted by another request
        ledger.earn(buyer.id, 500, key="more", source_type="sale", source_id=2)
        db.session.commit()
    assert 'data-testid="shop-balance">2\xa0500<' in catalogue()[0]
    with app.app_context():  # a new prize, and stock taken by a plain UPDATE (as checkout does)
        f.prize(name="Плед", points=700, stock=5)
        db.session.execute(update(Prize).where(Prize.id == prize_id).values(stock=0))
        db.session.commit()
    page = catalogue()[0]
    assert "Плед" in page and "Нет в наличии" in page
    assert "Плед" not in catalogue("/shop?q=кружка")[0]  # the query string is part of the key
    assert 'data-testid="prize-card"' in catalogue("/shop?x=" + "y" * 400)[0]  # too long to cache, still HTML
