"""Card co-payment against the local Stripe emulator: intents, the signed webhook, declines and refunds."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.auth.models import MANAGER, User
from portal.core.errors import DomainError
from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.payments.models import Payment
from portal.shop import services
from portal.shop.checks import order_problems
from portal.shop.models import AWAITING_PAYMENT, CANCELLED, PAID, Order, Prize
from tests.ledger.helpers import assert_ledger_consistent
from tests.payments_helpers import card_token, signed_event
from tests.shop import factories as f


@pytest.fixture
def copay_order(app, make, stripe):
    """A participant with 3,000 points orders a 4,000-point prize: 1,000 RUB goes on the card."""
    buyer = make.user(email="buyer@example.test")
    with app.app_context():
        ledger.earn(buyer.id, 3000, key="start", source_type="sale", source_id=1)
        prize = f.prize(points=4000, stock=2)
        person = db.session.get(User, buyer.id)
        services.add_to_cart(person, prize)
        order = services.place_order(person, request_token="co", delivery=f.delivery(), pay_rest_by_card=True)
        db.session.commit()
        return buyer.id, order.id, prize.id


def post_event(client, event_type, intent_id, **kwargs):
    payload, signature = signed_event(event_type, intent_id, **kwargs)
    return client.post("/payments/webhook", data=payload, headers={"Stripe-Signature": signature},
                       content_type="application/json")


def test_copay_order_holds_points_until_the_webhook(app, client, stripe, copay_order, mailbox):
    buyer_id, order_id, prize_id = copay_order
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.points, order.card_kopecks) == (AWAITING_PAYMENT, 3000, 100_000)
        assert ledger.balances_of(buyer_id) == ledger.Balances(available=0, held=3000, debt=0)
        status = services.pay_order(order, db.session.get(User, buyer_id), card_token(stripe))
        db.session.commit()
        assert status == "succeeded"
        assert db.session.get(Order, order_id).status == AWAITING_PAYMENT  # not paid until the webhook
        intent_id = db.session.scalar(select(Payment.intent_id))

    assert post_event(client, "payment_intent.succeeded", intent_id).status_code == 200
    assert post_event(client, "payment_intent.succeeded", intent_id).get_json()["duplicate"] is True
    assert "Оплачен" in mailbox.last_to("buyer@example.test")["Subject"]
    with app.app_context():
        assert db.session.get(Order, order_id).status == PAID
        assert ledger.balances_of(buyer_id) == ledger.Balances(available=0, held=0, debt=0)
        assert_ledger_consistent()
        assert order_problems() == []


def test_a_bad_signature_changes_nothing(app, client, stripe, copay_order):
    buyer_id, order_id, _ = copay_order
    with app.app_context():
        services.pay_order(db.session.get(Order, order_id), db.session.get(User, buyer_id), card_token(stripe))
        db.session.commit()
        intent_id = db.session.scalar(select(Payment.intent_id))
    response = post_event(client, "payment_intent.succeeded", intent_id, secret="whsec_forged")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Order, order_id).status == AWAITING_PAYMENT


def test_a_declined_card_keeps_the_order_waiting_and_another_card_pays_it(app, client, stripe, copay_order):
    """The bank declines the card: the order waits for payment with its points and stock held; the provider's
    decline arrives again as a webhook (twice) and changes nothing; another card then pays the order."""
    buyer_id, order_id, prize_id = copay_order
    with app.app_context():
        order = db.session.get(Order, order_id)
        with pytest.raises(DomainError, match="другую карту|another card"):
            services.pay_order(order, db.session.get(User, buyer_id), card_token(stripe, "charge_fail"))
        db.session.commit()
        order = db.session.get(Order, order_id)
        assert order.status == AWAITING_PAYMENT
        assert services.payment_deadline(order) == order.created_at + timedelta(minutes=30)
        assert ledger.balances_of(buyer_id) == ledger.Balances(available=0, held=3000, debt=0)
        assert db.session.get(Prize, prize_id).stock == 1
        declined = db.session.scalar(select(Payment))
        assert declined.status == "failed"
        assert [(e.status, e.note) for e in order.events] == [(AWAITING_PAYMENT, None),
                                                               (AWAITING_PAYMENT, "card declined")]
    # Stripe reports the same decline as an event, and may deliver it twice.
    for event_id in ("evt_decline", "evt_decline", "evt_decline_copy"):
        assert post_event(client, "payment_intent.payment_failed", declined.intent_id,
                          event_id=event_id).status_code == 200
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == AWAITING_PAYMENT and len(order.events) == 2
        assert ledger.balances_of(buyer_id) == ledger.Balances(available=0, held=3000, debt=0)
        # Another card, on the same order.
        assert services.pay_order(order, db.session.get(User, buyer_id), card_token(stripe)) == "succeeded"
        db.session.commit()
        second = db.session.scalars(select(Payment).order_by(Payment.id)).all()[-1]
        assert second.id != declined.id and second.status == "created"
    assert post_event(client, "payment_intent.succeeded", second.intent_id).status_code == 200
    with app.app_context():
        assert db.session.get(Order, order_id).status == PAID
        assert ledger.balances_of(buyer_id) == ledger.Balances(available=0, held=0, debt=0)
        assert db.session.get(Prize, prize_id).stock == 1
        assert_ledger_consistent()
        assert order_problems() == []


def test_a_declined_order_is_cancelled_by_the_job_only_when_its_window_ends_and_once(app, stripe, copay_order,
                                                                                     mailbox):
    from portal.jobs import run_job
    from portal.shop.models import StockMovement

    buyer_id, order_id, prize_id = copay_order
    with app.test_request_context(base_url=app.config["PORTAL_URL"]):  # as the worker runs its jobs
        with pytest.raises(DomainError):
            services.pay_order(db.session.get(Order, order_id), db.session.get(User, buyer_id),
                               card_token(stripe, "declined"))
        db.session.commit()
        placed = db.session.get(Order, order_id).created_at
        assert services.expire_unpaid_orders(placed + timedelta(minutes=29)) == 0
        assert db.session.get(Order, order_id).status == AWAITING_PAYMENT
        assert run_job("expire-unpaid-orders", placed + timedelta(minutes=31)).startswith("1 ")  # the worker's job
        order = db.session.get(Order, order_id)
        assert (order.status, order.cancel_reason) == (CANCELLED, "payment not completed in time")
        assert len(mailbox.to("buyer@example.test")) == 1  # told once, in words
        body = mailbox.last_to("buyer@example.test").get_body(("plain",)).get_content()
        assert "Отменён" in body and "оплата картой не завершена вовремя" in body
        assert "картой: 1" not in body  # the card part was never paid
        assert services.expire_unpaid_orders(placed + timedelta(minutes=40)) == 0  # released exactly once
        assert ledger.balances_of(buyer_id) == ledger.Balances(available=3000, held=0, debt=0)
        assert db.session.get(Prize, prize_id).stock == 2
        returns = db.session.scalars(select(StockMovement.delta).where(StockMovement.order_id == order_id,
                                                                       StockMovement.delta > 0)).all()
        assert returns == [1]
        with pytest.raises(DomainError):
            services.pay_order(order, db.session.get(User, buyer_id), card_token(stripe))
        assert_ledger_consistent()
        assert order_problems() == []


def test_a_card_tried_after_the_window_cancels_the_order_instead_of_charging(app, stripe, copay_order):
    from portal.core.time import frozen_time

    buyer_id, order_id, _ = copay_order
    with app.app_context():
        order = db.session.get(Order, order_id)
        with frozen_time(order.created_at + timedelta(minutes=31)), \
                pytest.raises(DomainError, match="истекло|ran out"):
            services.pay_order(order, db.session.get(User, buyer_id), card_token(stripe))
        db.session.commit()
        assert db.session.get(Order, order_id).status == CANCELLED
        assert db.session.scalar(select(Payment.id)) is None  # nothing was charged
        assert ledger.balances_of(buyer_id) == ledger.Balances(available=3000, held=0, debt=0)


def test_a_failed_payment_webhook_leaves_the_order_waiting_for_another_card(app, client, stripe, copay_order):
    buyer_id, order_id, _ = copay_order
    with app.app_context():
        services.pay_order(db.session.get(Order, order_id), db.session.get(User, buyer_id), card_token(stripe, "3ds"))
        db.session.commit()
        intent_id = db.session.scalar(select(Payment.intent_id))
    post_event(client, "payment_intent.payment_failed", intent_id)  # 3-D Secure was not passed
    with app.app_context():
        assert db.session.get(Order, order_id).status == AWAITING_PAYMENT
        assert db.session.scalar(select(Payment.status)) == "failed"
        assert ledger.balances_of(buyer_id) == ledger.Balances(available=0, held=3000, debt=0)
        assert services.pay_order(db.session.get(Order, order_id), db.session.get(User, buyer_id),
                                  card_token(stripe)) == "succeeded"
        db.session.commit()


def test_a_second_success_for_an_order_already_paid_is_refunded(app, client, stripe, copay_order):
    """Two attempts both charged (the first reported failed, then succeeded after all): the order is paid once and
    the other charge goes back to the card."""
    buyer_id, order_id, _ = copay_order
    with app.app_context():
        services.pay_order(db.session.get(Order, order_id), db.session.get(User, buyer_id), card_token(stripe))
        db.session.commit()
        first = db.session.scalar(select(Payment.intent_id))
    post_event(client, "payment_intent.payment_failed", first)
    with app.app_context():
        services.pay_order(db.session.get(Order, order_id), db.session.get(User, buyer_id), card_token(stripe))
        db.session.commit()
        second = db.session.scalars(select(Payment.intent_id).order_by(Payment.id)).all()[-1]
    post_event(client, "payment_intent.succeeded", second)
    post_event(client, "payment_intent.succeeded", first)  # the bank changed its mind about the first one
    with app.app_context():
        assert db.session.get(Order, order_id).status == PAID
        statuses = dict(db.session.execute(select(Payment.intent_id, Payment.status)).all())
        assert statuses == {first: "refunded", second: "succeeded"}
        assert ledger.balances_of(buyer_id) == ledger.Balances(available=0, held=0, debt=0)
        assert_ledger_consistent()
        assert order_problems() == []


def test_cancelling_a_paid_order_refunds_the_card_once(app, client, stripe, copay_order, make):
    buyer_id, order_id, _ = copay_order
    manager = make.user(role=MANAGER)
    with app.app_context():
        services.pay_order(db.session.get(Order, order_id), db.session.get(User, buyer_id), card_token(stripe))
        db.session.commit()
        intent_id = db.session.scalar(select(Payment.intent_id))
    post_event(client, "payment_intent.succeeded", intent_id)
    with app.app_context():
        order = db.session.get(Order, order_id)
        services.cancel_order(order, db.session.get(User, manager.id), "Нет у поставщика")
        db.session.commit()
        payment = db.session.scalar(select(Payment))
        assert payment.status == "refunded" and payment.refund_id.startswith("re_")
        assert ledger.balances_of(buyer_id) == ledger.Balances(available=3000, held=0, debt=0)
        assert_ledger_consistent()
        assert order_problems() == []
    # A late duplicate of the success event refunds nothing more and charges nothing again.
    post_event(client, "payment_intent.succeeded", intent_id, event_id="evt_late_copy")
    with app.app_context():
        assert db.session.scalar(select(Payment.status)) == "refunded"


def test_an_abandoned_checkout_is_released_by_the_job_and_a_late_success_is_refunded(app, client, stripe,
                                                                                     copay_order):
    buyer_id, order_id, _ = copay_order
    with app.test_request_context(base_url=app.config["PORTAL_URL"]):  # as the worker runs its jobs
        # The card is charged at Stripe, but its webhook is late: the job cancels the order first.
        services.pay_order(db.session.get(Order, order_id), db.session.get(User, buyer_id), card_token(stripe))
        db.session.commit()
        intent_id = db.session.scalar(select(Payment.intent_id))
        assert services.expire_unpaid_orders(utcnow() + timedelta(minutes=31)) == 1
        assert db.session.get(Order, order_id).status == CANCELLED
        assert ledger.balance_of(buyer_id) == 3000
    post_event(client, "payment_intent.succeeded", intent_id)  # arrives after the cancellation
    with app.app_context():
        assert db.session.get(Order, order_id).status == CANCELLED
        assert ledger.balance_of(buyer_id) == 3000
        assert db.session.scalar(select(Payment.status)) == "refunded"  # the money goes back too


def test_copay_is_limited_by_the_program_share(app, make, stripe):
    buyer = make.user()
    with app.app_context():
        ledger.earn(buyer.id, 1000, key="start", source_type="sale", source_id=1)
        person = db.session.get(User, buyer.id)
        services.add_to_cart(person, f.prize(points=4000))  # 75% by card: above the 50% the program allows
        assert not services.summary(person).copay_possible
        with pytest.raises(ledger.InsufficientPoints):
            services.place_order(person, request_token="x", delivery=f.delivery(), pay_rest_by_card=True)


def test_an_attempt_still_going_is_answered_with_its_state_instead_of_charging_again(app, stripe, copay_order):
    """A double click, or another card while the bank's 3-D Secure page is open: Stripe is asked how the attempt
    stands, and nothing is charged twice."""
    buyer_id, order_id, _ = copay_order
    with app.app_context():
        buyer = db.session.get(User, buyer_id)
        assert services.pay_order(db.session.get(Order, order_id), buyer, card_token(stripe, "3ds")) \
            == "requires_action"
        db.session.commit()
        assert services.pay_order(db.session.get(Order, order_id), buyer, card_token(stripe)) == "requires_action"
        db.session.commit()
        assert [p.status for p in db.session.scalars(select(Payment))] == ["created"]
        assert order_problems() == []


def test_a_double_click_after_a_charge_went_through_charges_once(app, stripe, copay_order):
    buyer_id, order_id, _ = copay_order
    with app.app_context():
        buyer = db.session.get(User, buyer_id)
        assert services.pay_order(db.session.get(Order, order_id), buyer, card_token(stripe)) == "succeeded"
        db.session.commit()
        assert services.pay_order(db.session.get(Order, order_id), buyer, card_token(stripe)) == "succeeded"
        db.session.commit()
        assert db.session.scalar(select(func.count(Payment.id))) == 1
