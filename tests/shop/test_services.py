import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select

from portal.auth.models import AUDIENCE_SPECIALIST, MANAGER, User
from portal.core.errors import DomainError, NotAllowed
from portal.core.time import frozen_time, today
from portal.extensions import db
from portal.ledger import services as ledger
from portal.shop import services
from portal.shop.models import (
    APPROVED,
    AWAITING_PAYMENT,
    CANCELLED,
    DELIVERED,
    PAID,
    PLACED,
    SHIPPED,
    TRANSITIONS,
    Order,
    Prize,
    StockMovement,
)
from tests.ledger.helpers import assert_ledger_consistent
from tests.shop import factories as f


@pytest.fixture
def buyer(make, db):
    person = make.user()
    ledger.earn(person.id, 3000, key="start", source_type="sale", source_id=1)
    return person


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER)


def order_one(user, prize, quantity=1, token="t1"):
    services.add_to_cart(user, prize, quantity)
    return services.place_order(user, request_token=token, delivery=f.delivery())


@pytest.mark.parametrize(
    ("source", "allowed"),
    [
        (PLACED, {APPROVED, CANCELLED}),
        (AWAITING_PAYMENT, {PAID, CANCELLED}),
        (PAID, {APPROVED, CANCELLED}),
        (APPROVED, {SHIPPED, CANCELLED}),
        (SHIPPED, {DELIVERED}),
        (DELIVERED, set()),
        (CANCELLED, set()),
    ],
)
def test_order_state_machine_table(source, allowed):
    assert TRANSITIONS[source] == allowed


def test_placing_an_order_debits_points_reserves_stock_and_clears_the_cart(db, buyer):
    prize = f.prize(points=500, stock=10)
    order = order_one(buyer, prize, quantity=2)
    assert (order.status, order.points, order.prize_value_kopecks) == (PLACED, 1000, 100_000)
    assert ledger.balance_of(buyer.id) == 2000
    assert prize.stock == 8
    assert services.cart_of(buyer) == []
    assert db.session.scalar(select(StockMovement.delta)) == -2
    assert_ledger_consistent()


def test_the_same_form_sent_twice_places_one_order(db, buyer):
    prize = f.prize()
    first = order_one(buyer, prize, token="same")
    services.add_to_cart(buyer, prize, 1)
    again = services.place_order(buyer, request_token="same", delivery=f.delivery())
    assert again.id == first.id
    assert db.session.scalar(select(func.count(Order.id))) == 1


@pytest.mark.parametrize(
    ("points", "stock", "quantity", "field_or_message"),
    [
        (4000, 10, 1, "points"),  # more than the balance
        (100, 2, 3, "quantity"),  # more than in stock
    ],
)
def test_what_cannot_be_ordered(db, buyer, points, stock, quantity, field_or_message):
    prize = f.prize(points=points, stock=stock)
    with pytest.raises(DomainError) as error:
        order_one(buyer, prize, quantity=quantity)
    assert error.value.field == field_or_message
    assert ledger.balance_of(buyer.id) == 3000


def test_physical_prizes_need_an_address_and_phone(db, buyer):
    services.add_to_cart(buyer, f.prize())
    with pytest.raises(DomainError) as error:
        services.place_order(buyer, request_token="x", delivery=services.Delivery("", "", ""))
    assert error.value.field == "address"


def test_audience_restricted_prize(db, make):
    specialist_only = f.prize(audience="specialist")
    manager_audience = make.user(audience="manager")
    with pytest.raises(DomainError):
        services.add_to_cart(manager_audience, specialist_only)


def test_cancel_returns_points_and_stock_once(db, buyer, manager):
    prize = f.prize(points=500, stock=5)
    order = order_one(buyer, prize, quantity=2)
    services.cancel_order(order, buyer)
    assert order.status == CANCELLED
    assert ledger.balance_of(buyer.id) == 3000
    assert prize.stock == 5
    with pytest.raises(DomainError):
        services.cancel_order(order, manager, "повтор")
    assert ledger.balance_of(buyer.id) == 3000 and prize.stock == 5
    assert_ledger_consistent()


def test_participant_cannot_cancel_after_approval_but_a_manager_can(db, buyer, manager):
    order = order_one(buyer, f.prize())
    services.approve_order(order, manager)
    with pytest.raises(DomainError):
        services.cancel_order(order, buyer)
    with pytest.raises(DomainError):
        services.cancel_order(order, manager, "")  # a manager gives the reason
    services.cancel_order(order, manager, "Нет у поставщика")
    assert order.status == CANCELLED and ledger.balance_of(buyer.id) == 3000


def test_fulfilment_path_and_forbidden_jumps(db, buyer, manager):
    order = order_one(buyer, f.prize())
    with pytest.raises(DomainError):
        services.ship_order(order, manager, "RU123")  # not approved yet
    services.approve_order(order, manager)
    services.ship_order(order, manager, "RU123456789")
    services.deliver_order(order, manager)
    assert (order.status, order.tracking_number) == (DELIVERED, "RU123456789")
    with pytest.raises(NotAllowed):
        services.approve_order(order, buyer)


def test_prize_tax_threshold(db, make):
    person = make.user()
    ledger.earn(person.id, 10_000, key="start", source_type="sale", source_id=1)
    cheap, dear = f.prize(points=3000), f.prize(name="Наушники", points=2000)
    order_one(person, cheap, token="a")  # 3,000 RUB: under the threshold
    services.add_to_cart(person, dear)
    plan = services.summary(person)
    assert plan.crosses_threshold and plan.taxable_kopecks == 100_000 and plan.needs_tax_details
    with pytest.raises(DomainError) as error:
        services.place_order(person, request_token="b", delivery=f.delivery())
    assert error.value.field == "tax"
    with pytest.raises(DomainError):
        services.save_tax_profile(person, personal_inn="123", passport="4510 123456", registration_address="Москва")
    services.save_tax_profile(person, personal_inn="500100732259", passport="4510123456",
                              registration_address="Москва, ул. Ленина, д. 1")
    services.place_order(person, request_token="b", delivery=f.delivery())
    register = services.tax_register(today().year)
    assert [(r["total"], r["excess"], r["tax"]) for r in register] == [(500_000, 100_000, 13_000)]


def test_a_prize_received_after_midnight_in_moscow_on_new_years_day_counts_in_the_new_tax_year(db, make):
    person = make.user()
    ledger.earn(person.id, 10_000, key="start", source_type="sale", source_id=1)
    with frozen_time(datetime(2026, 12, 31, 20, 59)):  # 23:59 in Moscow
        order_one(person, f.prize(points=3000), token="a")
    with frozen_time(datetime(2026, 12, 31, 21, 1)):  # 00:01 on 1 January in Moscow, still 2026 in UTC
        order_one(person, f.prize(name="Наушники", points=2000), token="b")
    assert services.yearly_prize_total(person.id, 2026) == 300_000
    assert services.yearly_prize_total(person.id, 2027) == 200_000
    assert [r["total"] for r in services.tax_register(2027)] == [200_000]


def test_thirty_buyers_race_for_the_last_five(app, make):
    buyers = [make.user() for _ in range(30)]
    with app.app_context():
        prize_id = f.prize(points=100, stock=5).id
        for person in buyers:
            ledger.earn(person.id, 1000, key=f"s{person.id}", source_type="sale", source_id=person.id)
            services.add_to_cart(db.session.get(User, person.id), db.session.get(Prize, prize_id), 1)
        db.session.commit()
    barrier = threading.Barrier(30)
    outcomes = {}

    def buy(person_id):
        with app.app_context():
            try:
                barrier.wait(timeout=20)
                services.place_order(db.session.get(User, person_id), request_token=f"race-{person_id}",
                                     delivery=f.delivery())
                db.session.commit()
                outcomes[person_id] = "bought"
            except DomainError as error:
                db.session.rollback()
                outcomes[person_id] = str(error.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=buy, args=(p.id,)) for p in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert list(outcomes.values()).count("bought") == 5
    losers = [m for m in outcomes.values() if m != "bought"]
    assert len(losers) == 25 and all("закончился" in m or "run out" in m for m in losers)
    with app.app_context():
        assert db.session.get(Prize, prize_id).stock == 0
        assert db.session.scalar(select(func.count(Order.id))) == 5
        balances = sorted(ledger.balance_of(p.id) for p in buyers)
        assert balances == [900] * 5 + [1000] * 25


def test_the_taxable_prize_is_what_the_program_paid_for_not_the_card_part(db, make):
    """8,930 points and 4,370 RUB by card for a 13,300-point prize: the prize for tax is 8,930 RUB."""
    person = make.user()
    ledger.earn(person.id, 8930, key="start", source_type="sale", source_id=1)
    services.save_tax_profile(person, personal_inn="500100732259", passport="4510123456",
                              registration_address="Москва, ул. Ленина, д. 1")
    services.add_to_cart(person, f.prize(name="Робот-пылесос", points=13_300))
    plan = services.summary(person)
    assert (plan.shortfall, plan.card_kopecks) == (4370, 437_000)
    assert (plan.year_total_after, plan.taxable_kopecks) == (893_000, 493_000)
    order = services.place_order(person, request_token="t", delivery=f.delivery(), pay_rest_by_card=True)
    assert (order.points, order.card_kopecks, order.prize_value_kopecks) == (8930, 437_000, 893_000)
    assert services.yearly_prize_total(person.id, today().year) == 893_000
    register = services.tax_register(today().year)
    assert [(r["total"], r["excess"], r["tax"]) for r in register] == [(893_000, 493_000, 64_090)]


def test_a_card_part_that_keeps_the_prize_under_the_threshold_asks_for_no_tax_details(db, make):
    """3,000 points and 2,000 RUB by card: the program gave 3,000 RUB, under 4,000, so no tax details."""
    person = make.user()
    ledger.earn(person.id, 3000, key="start", source_type="sale", source_id=1)
    services.add_to_cart(person, f.prize(points=5000))
    plan = services.summary(person)
    assert not plan.crosses_threshold and not plan.needs_tax_details
    order = services.place_order(person, request_token="t", delivery=f.delivery(), pay_rest_by_card=True)
    assert order.prize_value_kopecks == 300_000
    assert services.tax_register(today().year)[0]["excess"] == 0


def test_the_checkout_form_starts_with_a_fresh_token_and_the_last_delivery_details(buyer):
    first = services.checkout_form_data(buyer)
    assert first["request_token"] and first["address"] == "" and first["email"] == buyer.email
    order_one(buyer, f.prize(points=100), token="last")
    again = services.checkout_form_data(buyer)
    assert again["request_token"] != first["request_token"]
    assert (again["address"], again["phone"], again["email"]) == (
        "Москва, ул. Тверская, д. 1, кв. 5", "+7 (916) 000-11-22", "me@example.test")


def test_checking_out_tells_the_participant_unless_the_card_part_is_still_to_pay(app, db, make):
    from portal.ops.models import OutboxMessage

    person = make.user(email="checkout@example.test")
    ledger.earn(person.id, 1000, key="start", source_type="sale", source_id=1)
    mails = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.to_address == person.email)
    services.add_to_cart(person, f.prize(points=500))
    with app.test_request_context():
        assert services.check_out(person, request_token="placed", delivery=f.delivery()).status == PLACED
        assert db.session.scalar(mails) == 1
        services.add_to_cart(person, f.prize(points=700))
        waiting = services.check_out(person, request_token="card", delivery=f.delivery(), pay_rest_by_card=True)
    assert waiting.status == AWAITING_PAYMENT and db.session.scalar(mails) == 1


def test_checking_out_an_emptied_cart_says_the_cart_is_empty(buyer):
    with pytest.raises(services.CartEmpty, match="Корзина пуста"):
        services.check_out(buyer, request_token="none", delivery=f.delivery())


def test_the_prize_form_shows_a_prize_as_it_was_typed(buyer):
    prize = f.prize(name="Рюкзак", points=2500, stock=4, value_kopecks=123450, audience=AUDIENCE_SPECIALIST)
    data = services.prize_form_data(prize)
    assert (data["name"], data["category"], data["value"], data["stock"], data["audience"], data["active"]) == (
        "Рюкзак", "Подарки", "1\xa0234,50", 4, AUDIENCE_SPECIALIST, True)
    assert services.prize_form_data(f.prize(name="Кружка"))["value"] == ""


def test_saving_a_prize_stores_its_photo_or_refuses_a_file_that_is_no_picture(app, db, manager, tmp_path):
    from portal.shop.demo import picture

    app.config["UPLOAD_DIR"] = str(tmp_path)
    values = {"category": "Аксессуары", "description": "", "price_points": 2500, "value_kopecks": None,
              "stock": 4, "electronic": False, "audience": None, "active": True, "images": None, "actor": manager}
    prize = services.save_prize(None, name="Рюкзак", photo=picture("Рюкзак", (10, 80, 160), 0), **values)
    assert prize.image_path and (tmp_path / "prizes" / prize.thumb_path).exists()
    assert [m.delta for m in db.session.scalars(services.stock_movements_query(prize))] == [4]
    with pytest.raises(DomainError) as refused:
        services.save_prize(None, name="Подделка", photo=b"not an image", **values)
    assert refused.value.field == "image"
