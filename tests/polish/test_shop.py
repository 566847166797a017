"""What a new participant tripped over in the shop: card amounts, refunds, words, abandoned checkouts, the pay page."""

import json
import re
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.auth.models import MANAGER, User
from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.payments.models import Payment
from portal.payments.services import CardDeclined
from portal.shop import services
from portal.shop.models import AWAITING_PAYMENT, CANCELLED, Order, StockMovement
from tests.payments_helpers import card_token, signed_event
from tests.shop import factories as f


@pytest.fixture
def copay_order(app, make, stripe):
    """3,000 points for a 4,000-point prize: 1,000 RUB goes on the card."""
    buyer = make.user(email="buyer@example.test")
    with app.app_context():
        ledger.earn(buyer.id, 3000, key="start", source_type="sale", source_id=1)
        prize = f.prize(name="Умная колонка", points=4000, stock=2)
        person = db.session.get(User, buyer.id)
        services.add_to_cart(person, prize)
        order = services.place_order(person, request_token="co", delivery=f.delivery(), pay_rest_by_card=True)
        db.session.commit()
        return buyer.id, order.id


def pay_and_confirm(app, client, stripe, buyer_id, order_id):
    with app.app_context():
        services.pay_order(db.session.get(Order, order_id), db.session.get(User, buyer_id), card_token(stripe))
        db.session.commit()
        intent_id = db.session.scalar(select(Payment.intent_id))
    payload, signature = signed_event("payment_intent.succeeded", intent_id)
    assert client.post("/payments/webhook", data=payload, headers={"Stripe-Signature": signature},
                       content_type="application/json").status_code == 200


def test_a_copaid_order_shows_points_and_card_apart_everywhere(app, client, login, make, stripe, copay_order):
    buyer_id, order_id = copay_order
    pay_and_confirm(app, client, stripe, buyer_id, order_id)
    login("buyer@example.test")
    page = client.get(f"/shop/orders/{order_id}").get_data(as_text=True)
    assert 'data-testid="order-points">3\xa0000<' in page
    assert 'data-testid="order-card">1\xa0000,00\xa0₽<' in page
    assert "4\xa0000" in page  # the prize's price, above what was paid in points and by card
    assert "оплачен картой" in page and ": card<" not in page  # the history in words, not the code
    mine = client.get("/shop/orders").get_data(as_text=True)
    assert f'data-testid="order-card-{order_id}">1\xa0000,00\xa0₽<' in mine

    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    queue = client.get("/console/orders").get_data(as_text=True)
    assert f'data-testid="order-card-{order_id}">1\xa0000,00\xa0₽<' in queue
    export = client.get("/console/orders/export.csv?status=paid").get_data(as_text=True)
    header, row = export.splitlines()[:2]
    assert "Оплачено картой за заказ, ₽" in header and row.endswith(";3000;1000,00"), row
    assert header.lstrip("\ufeff").startswith("Номер заказа;")


def test_cancelling_a_paid_order_says_and_mails_that_the_card_part_comes_back(app, client, login, stripe,
                                                                              copay_order, mailbox):
    buyer_id, order_id = copay_order
    pay_and_confirm(app, client, stripe, buyer_id, order_id)
    login("buyer@example.test")
    page = client.post(f"/shop/orders/{order_id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "1\xa0000,00\xa0₽ возвращены на карту" in page  # the flash
    assert "5–10 рабочих дней" in page
    assert 'data-testid="order-refund"' in page  # and on the order itself
    body = mailbox.last_to("buyer@example.test").get_body(("plain",)).get_content()
    assert "Оплата картой (1\xa0000,00\xa0₽) возвращена на карту" in body
    assert "Оплачено баллами: 3\xa0000; картой: 1\xa0000,00\xa0₽." in body


def test_a_declined_card_is_explained_in_words_not_codes(app, client, login, stripe, copay_order):
    buyer_id, order_id = copay_order
    with app.app_context():
        with pytest.raises(CardDeclined):
            services.pay_order(db.session.get(Order, order_id), db.session.get(User, buyer_id),
                               card_token(stripe, "declined"))
        db.session.commit()
    login("buyer@example.test")
    page = client.get(f"/shop/orders/{order_id}").get_data(as_text=True)
    assert "карта отклонена" in page and "card declined" not in page


def test_stock_history_speaks_the_readers_language(app, client, login, make, copay_order):
    make.user(role=MANAGER, email="manager@example.test")
    _buyer_id, order_id = copay_order
    with app.app_context():
        prize_id = db.session.scalar(select(StockMovement.prize_id).where(StockMovement.order_id == order_id))
    login("manager@example.test")
    page = client.get(f"/console/prizes/{prize_id}").get_data(as_text=True)
    assert f"-1 — <a href=\"/shop/orders/{order_id}\">заказ №{order_id}</a>" in page
    assert "— order" not in page


def test_an_abandoned_checkout_is_released_when_shop_pages_are_read(app, client, login, copay_order):
    """`make run` has no worker: reading the shop's pages runs the overdue release."""
    buyer_id, order_id = copay_order
    with app.app_context():
        db.session.execute(update(Order).where(Order.id == order_id)
                           .values(created_at=utcnow() - timedelta(minutes=31)))
        db.session.commit()
    app.config["ABANDONED_CHECKOUT_SWEEP_SECONDS"] = 0
    try:
        login("buyer@example.test")
        page = client.get("/shop/orders").get_data(as_text=True)
    finally:
        app.config.pop("ABANDONED_CHECKOUT_SWEEP_SECONDS")
    with app.app_context():
        assert db.session.get(Order, order_id).status == CANCELLED
        assert ledger.balances_of(buyer_id) == ledger.Balances(available=3000, held=0, debt=0)
    assert "Отменён" in page


def test_a_recent_checkout_is_left_alone(app, client, login, copay_order):
    _buyer_id, order_id = copay_order
    app.config["ABANDONED_CHECKOUT_SWEEP_SECONDS"] = 0
    try:
        login("buyer@example.test")
        client.get("/shop/orders")
    finally:
        app.config.pop("ABANDONED_CHECKOUT_SWEEP_SECONDS")
    with app.app_context():
        assert db.session.get(Order, order_id).status == AWAITING_PAYMENT


def test_the_pay_page_labels_the_card_speaks_russian_and_has_ways_out(app, client, login, copay_order):
    _buyer_id, order_id = copay_order
    login("buyer@example.test")
    page = client.get(f"/shop/orders/{order_id}/pay").get_data(as_text=True)
    assert 'for="card-element"' in page and "Банковская карта" in page
    assert "можно с пробелами" in page
    assert f'href="/shop/orders/{order_id}" class="small" data-testid="back-to-order"' in page
    assert f'action="/shop/orders/{order_id}/cancel"' in page and "Отменить заказ и вернуть баллы" in page
    assert '"locale": "ru"' in page  # Stripe.js speaks the page's language (settings for static/js/pay.js)
    assert "Bad request" not in page
    # Stripe's error codes map to our Russian words, for the page's script.
    assert json.dumps("Неверный номер карты: проверьте его цифра за цифрой.", ensure_ascii=False)[1:-1] in page
    assert json.dumps("Проверьте номер карты, срок действия и код CVC.", ensure_ascii=False)[1:-1] in page
    # The order page leads back to the payment while it is due.
    order = client.get(f"/shop/orders/{order_id}").get_data(as_text=True)
    assert f'href="/shop/orders/{order_id}/pay"' in order


def test_the_emulator_takes_a_card_number_as_printed(stripe):
    body = json.dumps({"key": "pk_test_local", "card": {"number": "4242 4242 4242 4242", "exp_month": "12",
                                                         "exp_year": "2030", "cvc": "123"}}).encode()
    request = urllib.request.Request(f"{stripe}/v1/tokens", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.load(response)["id"].startswith("tok_")


def test_card_error_codes_have_our_words_in_both_languages(app):
    from flask_babel import force_locale

    from portal.payments.messages import card_texts

    with app.test_request_context():
        with force_locale("ru"):
            ru = card_texts()
        with force_locale("en"):
            en = card_texts()
    assert ru["codes"]["incomplete_number"] == "Номер карты введён не полностью."
    assert en["codes"]["incomplete_number"] == "The card number is incomplete."
    assert ru["types"]["invalid_request_error"] == "Проверьте номер карты, срок действия и код CVC."
    assert ru["codes"].keys() == en["codes"].keys()


def test_prizes_list_pages_and_searches(app, client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        for n in range(30):
            f.prize(name=f"Приз {n:02d}", points=100 + n)
        f.prize(name="Термос походный", points=900)
        db.session.commit()
    login("manager@example.test")
    first = client.get("/console/prizes").get_data(as_text=True)
    assert len(re.findall(r'href="/console/prizes/\d+"', first)) == 25
    assert "Найдено: 31" in first
    second = client.get("/console/prizes?page=2").get_data(as_text=True)
    assert len(re.findall(r'href="/console/prizes/\d+"', second)) == 6
    found = client.get("/console/prizes?q=ТЕРМОС").get_data(as_text=True)
    assert "Термос походный" in found and "Приз 01" not in found
    assert client.get("/console/prizes?category=99999999999999999999999").status_code == 200


def test_prize_tax_register_pages_and_searches(app, client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        prize = f.prize(points=100, stock=None)
        for n in range(27):
            buyer = make.user(full_name=f"Покупатель {n:02d}")
            ledger.earn(buyer.id, 100, key=f"s{n}", source_type="sale", source_id=n)
            person = db.session.get(User, buyer.id)
            services.add_to_cart(person, prize)
            services.place_order(person, request_token=f"t{n}", delivery=f.delivery())
        db.session.commit()
    login("manager@example.test")
    first = client.get("/console/prize-tax").get_data(as_text=True)
    assert "Найдено: 27" in first and "Покупатель 24" in first and "Покупатель 25" not in first
    assert "Покупатель 26" in client.get("/console/prize-tax?page=2").get_data(as_text=True)
    found = client.get("/console/prize-tax?q=покупатель 07").get_data(as_text=True)
    assert "Покупатель 07" in found and "Покупатель 08" not in found
    assert client.get("/console/prize-tax?year=99999999999999999999").status_code == 200


def test_prizes_and_categories_have_english_names(app, client, login, make):
    make.user(email="reader@example.test", locale="en")
    make.user(email="leser@example.test", locale="ru")
    manager = make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        services.save_prize(None, name="Термокружка", category="Подарки", description="Держит тепло",
                            price_points=500, value_kopecks=None, stock=5, electronic=False, audience=None,
                            active=True, images=None, actor=db.session.get(User, manager.id), name_en="Travel mug",
                            description_en="Keeps it warm", category_en="Gifts")
        services.save_prize(None, name="Плед", category="Подарки", description="", price_points=700,
                            value_kopecks=None, stock=5, electronic=False, audience=None, active=True, images=None,
                            actor=db.session.get(User, manager.id))
        db.session.commit()
    login("reader@example.test")
    english = client.get("/shop").get_data(as_text=True)
    assert "Travel mug" in english and "Gifts" in english
    assert "Плед" in english  # no English name: the Russian one
    login("leser@example.test")
    russian = client.get("/shop").get_data(as_text=True)
    assert "Термокружка" in russian and "Travel mug" not in russian


def test_prize_form_says_title_not_name(client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    page = client.get("/console/prizes/new").get_data(as_text=True)
    assert '<label class="form-label" for="name">Название</label>' in page
    assert "Название на английском" in page


def test_stock_history_pages_on_the_prize(app, client, login, make):
    manager = make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        prize = f.prize(name="Термос", points=100, stock=100)
        actor = db.session.get(User, manager.id)
        for n in range(30):
            services.adjust_stock(prize, 1, f"поставка {n:02d}", actor)
        db.session.commit()
        prize_id = prize.id
    login("manager@example.test")
    first = client.get(f"/console/prizes/{prize_id}").get_data(as_text=True)
    history = first.split('data-testid="stock-history"')[1]
    assert "поставка 29" in history and "поставка 04" not in history
    assert f'href="/console/prizes/{prize_id}?page=2"' in first
    assert "поставка 04" in client.get(f"/console/prizes/{prize_id}?page=2").get_data(as_text=True)
