"""order_problems(): what `portal check` reports about orders, card payments and the ledger."""

from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import update

from portal.auth.models import MANAGER
from portal.ledger import services as ledger
from portal.payments.models import Payment
from portal.shop import services
from portal.shop.checks import order_problems
from portal.shop.models import CANCELLED, PAID, Order
from tests.shop import factories as f


def said(findings) -> list[str]:
    """The findings as an English reader reads them."""
    with force_locale("en"):
        return [str(finding) for finding in findings]


def _order(person, points, *, token, copay=False):
    if services.summary(person).tax_profile is None:
        services.save_tax_profile(person, personal_inn="500100732259", passport="4510123456",
                                  registration_address="Москва, ул. Ленина, д. 1")
    services.add_to_cart(person, f.prize(name=f"Приз {token}", points=points))
    return services.place_order(person, request_token=token, delivery=f.delivery(), pay_rest_by_card=copay)


def test_orders_in_every_state_the_services_leave_are_consistent(db, make):
    person, manager = make.user(), make.user(role=MANAGER)
    ledger.earn(person.id, 5000, key="start", source_type="sale", source_id=1)
    placed = _order(person, 1000, token="a")
    cancelled = _order(person, 1000, token="b")
    services.cancel_order(cancelled, person)
    services.approve_order(placed, manager)
    waiting = _order(person, 5000, token="c", copay=True)  # 4,000 points held, 1,000 RUB by card
    assert (waiting.points, waiting.card_kopecks) == (4000, 100_000)
    assert order_problems() == []
    # Past its deadline and past the grace: the expiry job has not run.
    late = waiting.created_at + timedelta(minutes=30) + timedelta(minutes=16)
    assert said(order_problems(late)) == [
        f"Order #{waiting.id} still awaits payment past its deadline "
        f"({waiting.created_at + timedelta(minutes=30):%Y-%m-%d %H:%M} UTC): is the worker running the job that "
        "cancels unpaid orders?"]
    services.expire_unpaid_orders(late)
    assert order_problems(late) == []


def test_a_paid_order_without_a_succeeded_payment_and_points_held_for_a_cancelled_order_are_reported(db, make):
    person = make.user()
    ledger.earn(person.id, 3000, key="start", source_type="sale", source_id=1)
    order = _order(person, 4000, token="a", copay=True)
    # Marked paid by hand: no payment, and its points still held rather than spent.
    db.session.execute(update(Order).where(Order.id == order.id).values(status=PAID))
    assert said(order_problems()) == [f"Order #{order.id} (Paid) holds 3000 points; it should hold 0.",
                                      f"Order #{order.id} (Paid) has spent 0 points; it should have spent 3000.",
                                      f"Order #{order.id} (Paid) has 0 succeeded card payments; it should have one."]
    # Cancelled by hand: the held points were never released; a charged card was never refunded.
    db.session.execute(update(Order).where(Order.id == order.id).values(status=CANCELLED))
    db.session.add(Payment(order_id=order.id, intent_id="pi_x", client_secret="s", amount_kopecks=100_000,
                           status="succeeded"))
    db.session.flush()
    assert said(order_problems()) == [f"Order #{order.id} (Cancelled) holds 3000 points; it should hold 0.",
                                      f"Order #{order.id} (Cancelled): a card payment was taken and not refunded."]
