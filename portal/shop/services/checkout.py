"""Checkout: the cart's summary (points, card part, prize tax) and placing an order atomically."""

import functools
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.util import identity_key

from portal.auth.models import PARTNER_ROLES, User
from portal.core import freshness
from portal.core.errors import DomainError, NotAllowed
from portal.core.phones import format_phone, normalize_phone
from portal.core.time import today
from portal.extensions import db
from portal.ledger import services as ledger
from portal.program.services import get_settings
from portal.shop.models import (
    AWAITING_PAYMENT,
    PLACED,
    CartItem,
    DeliveryProfile,
    Order,
    OrderEvent,
    OrderLine,
    Prize,
    StockMovement,
    TaxProfile,
)
from portal.shop.notifications import OrderUpdate, prepare_order_update
from portal.shop.services.cart import cart_of
from portal.shop.services.catalogue import available_to, prize_value
from portal.shop.services.prize_tax import yearly_prize_total


@dataclass
class Summary:
    items: list[CartItem]
    points: int
    balance: int
    value_kopecks: int
    year_total_before: int
    threshold_kopecks: int
    electronic_only: bool
    tax_profile: TaxProfile | None
    tax_details_required: bool
    point_value_kopecks: int = 100
    copay_enabled: bool = False
    copay_max_share_percent: int = 0

    @property
    def balance_after(self) -> int:
        return max(0, self.balance - self.points)

    @property
    def shortfall(self) -> int:
        """Points missing for the order."""
        return max(0, self.points - self.balance)

    @property
    def card_kopecks(self) -> int:
        return self.shortfall * self.point_value_kopecks

    @property
    def copay_possible(self) -> bool:
        """Points fall short and the program lets the participant pay the rest by card, up to its share."""
        return (self.shortfall > 0 and self.copay_enabled and self.points > 0
                and self.shortfall * 100 <= self.points * self.copay_max_share_percent)

    @property
    def value_for_tax_kopecks(self) -> int:
        """What the program gives: the prizes' value less the part the participant pays by card themselves."""
        return max(0, self.value_kopecks - self.card_kopecks)

    @property
    def year_total_after(self) -> int:
        return self.year_total_before + self.value_for_tax_kopecks

    @property
    def crosses_threshold(self) -> bool:
        return self.year_total_after > self.threshold_kopecks

    @property
    def taxable_kopecks(self) -> int:
        return max(0, self.year_total_after - max(self.threshold_kopecks, self.year_total_before))

    @property
    def needs_tax_details(self) -> bool:
        return self.crosses_threshold and self.tax_details_required and self.tax_profile is None


def summary(user: User) -> Summary:
    items = cart_of(user)
    settings = get_settings()
    return Summary(
        items=items, points=sum(i.prize.price_points * i.quantity for i in items),
        balance=ledger.balance_of(user.id),
        value_kopecks=sum(prize_value(i.prize, settings.point_value_kopecks) * i.quantity for i in items),
        year_total_before=yearly_prize_total(user.id, today().year), threshold_kopecks=settings.tax_threshold_kopecks,
        electronic_only=bool(items) and all(i.prize.electronic for i in items),
        tax_profile=db.session.get(TaxProfile, user.id), tax_details_required=settings.tax_details_required,
        point_value_kopecks=settings.point_value_kopecks, copay_enabled=settings.copay_enabled,
        copay_max_share_percent=settings.copay_max_share_percent,
    )


@dataclass
class Delivery:
    address: str
    phone: str
    email: str


def delivery_profile(user: User) -> DeliveryProfile | None:
    return db.session.get(DeliveryProfile, user.id)


class CartEmpty(DomainError):
    """There is nothing to order: the cart was emptied, for example by an order placed from another tab."""


def checkout_form_data(user: User) -> dict:
    """What the checkout form starts with: a fresh one-time token and the delivery details the participant used
    last, else their own phone and email."""
    profile = delivery_profile(user)
    return {"request_token": secrets.token_urlsafe(24), "address": profile.address if profile else "",
            "phone": format_phone(profile.phone if profile and profile.phone else user.phone),
            "email": profile.email if profile and profile.email else user.email}


def check_out(user: User, *, request_token: str, delivery: Delivery, pay_rest_by_card: bool = False,
              plan: Summary | None = None) -> Order:
    """Place the order from the checkout form and tell the participant by email and the bell; an order waiting for
    its card part is told about once it is paid. `plan`: the cart's summary, when the caller has just read it."""
    return place_order(user, request_token=request_token, delivery=delivery, pay_rest_by_card=pay_rest_by_card,
                       plan=plan, tell=True)


def place_order(user: User, *, request_token: str, delivery: Delivery, pay_rest_by_card: bool = False,
                plan: Summary | None = None, tell: bool = False) -> Order:
    """Turn the cart into an order: points are debited and stock reserved in one transaction, or nothing is.

    The participant's accounts are locked before anything is written, so a double click waits for the first order
    and gets it back (the form's one-time token); stock is taken by a conditional update, so it never goes negative
    when many people buy the last items at once. The cart, the delivery and the tax rule are checked, and the
    participant's mail and bell about the order (`tell`) rendered, before that lock (on SQLite it is the database's
    one write lock, which every other writer waits for): under the lock the order is read again only where another
    request could have changed it (the token, the cart, the balance), and the mail is only written, in the order's
    own transaction, so it never exists without the order."""
    if user.role not in PARTNER_ROLES:
        raise NotAllowed(_l("Only participants order prizes."))
    if not request_token:
        raise DomainError(_l("The form has expired. Open the page again and resend it."))
    existing = _order_of_token(user, request_token)
    if existing is not None:
        return existing
    plan, details = _checked_plan(user, delivery, plan)
    order = _order_of(user, plan, details, request_token, pay_rest_by_card)
    news = _news_of(order, user, tell)
    ledger.lock_participant(user.id)
    existing = _order_of_token(user, request_token)
    if existing is not None:
        return existing
    if _cart_changed(user, plan):  # another tab ordered or changed the cart meanwhile: check it all again
        plan, details = _checked_plan(user, delivery)
    else:
        plan.balance = ledger.balance_of(user.id)
    copay = plan.shortfall > 0 and pay_rest_by_card
    if plan.shortfall > 0 and not (copay and plan.copay_possible):
        raise ledger.InsufficientPoints(available=plan.balance, needed=plan.points)
    placed = _order_of(user, plan, details, request_token, pay_rest_by_card)
    if _told(placed) != _told(order):  # what the mail says changed meanwhile: it is rendered again
        news = _news_of(placed, user, tell)

    db.session.add(placed)
    db.session.flush()
    db.session.execute(insert(OrderLine), [
        {"order_id": placed.id, "prize_id": item.prize_id, "quantity": item.quantity,
         "price_points": item.prize.price_points, "value_kopecks": prize_value(item.prize, plan.point_value_kopecks)}
        for item in plan.items])
    for item in plan.items:
        _take_stock(item.prize, item.quantity, placed)
    if copay:
        # The points are held, not spent, until the card part is paid; a failed payment gives them back.
        if placed.points:
            ledger.spend(user.id, placed.points, key=f"order:{placed.id}:hold", source_type="order",
                         source_id=placed.id, hold=True)
    else:
        ledger.spend(user.id, placed.points, key=f"order:{placed.id}:points", source_type="order",
                     source_id=placed.id)
    for item in plan.items:
        db.session.delete(item)
    _remember_delivery(user, *details)
    db.session.add(OrderEvent(order_id=placed.id, status=placed.status, actor_id=user.id))
    if news is not None:
        news.send(placed)
    db.session.flush()
    return placed


def _order_of(user: User, plan: Summary, details: tuple[str, str | None, str], request_token: str,
              pay_rest_by_card: bool) -> Order:
    """The order the plan makes (not added to the session)."""
    address, phone, email = details
    copay = plan.shortfall > 0 and pay_rest_by_card
    return Order(user_id=user.id, status=AWAITING_PAYMENT if copay else PLACED, request_token=request_token,
                 points=plan.points - plan.shortfall, card_kopecks=plan.card_kopecks if copay else 0,
                 prize_value_kopecks=plan.value_for_tax_kopecks, delivery_address=address or None,
                 delivery_phone=phone, delivery_email=email or None)


def _told(order: Order) -> tuple:
    """What the order's mail and bell say of it."""
    return order.status, order.points, order.card_kopecks


def _news_of(order: Order, user: User, tell: bool) -> OrderUpdate | None:
    """The participant's mail and bell about a placed order; none for an order waiting for its card part (they are
    told once it is paid)."""
    if not tell or order.status == AWAITING_PAYMENT:
        return None
    return prepare_order_update(order, user)


def _order_of_token(user: User, request_token: str) -> Order | None:
    """The order this form already placed (a double click, a resend), or None."""
    existing = db.session.scalar(select(Order).where(Order.request_token == request_token))
    if existing is not None and existing.user_id != user.id:
        raise NotAllowed(_l("The form has expired. Open the page again and resend it."))
    return existing


def _checked_plan(user: User, delivery: Delivery,
                  plan: Summary | None = None) -> tuple[Summary, tuple[str, str | None, str]]:
    """The cart's summary (`plan`, or read now), refused if something in it cannot be ordered; the delivery's
    address, phone and email."""
    plan = plan or summary(user)
    if not plan.items:
        raise CartEmpty(_l("Your cart is empty."))
    for item in plan.items:
        if not available_to(user, item.prize):
            raise DomainError(_l("%(prize)s is no longer available: remove it from the cart.", prize=item.prize.name))
    address = " ".join((delivery.address or "").split())
    email = (delivery.email or "").strip().lower()
    phone = normalize_phone(delivery.phone) if delivery.phone else None
    if not plan.electronic_only:
        if len(address) < 10:
            raise DomainError(_l("Enter the delivery address: city, street, house, flat."), field="address")
        if phone is None:
            raise DomainError(_l("Enter a Russian phone number: +7 (999) 999-99-99."), field="phone")
    if any(i.prize.electronic for i in plan.items) and "@" not in email:
        raise DomainError(_l("Enter the email for electronic certificates."), field="email")
    if plan.needs_tax_details:
        raise DomainError(_l("This order takes your prizes this year above %(threshold)s RUB: fill in the tax "
                             "details first.", threshold=plan.threshold_kopecks // 100), field="tax")
    return plan, (address, phone, email)


def _cart_changed(user: User, plan: Summary) -> bool:
    """Whether the cart differs from the one `plan` was made of; if so its lines are read afresh next time."""
    now = list(db.session.execute(select(CartItem.id, CartItem.prize_id, CartItem.quantity)
                                  .where(CartItem.user_id == user.id).order_by(CartItem.id)))
    if [tuple(row) for row in now] == [(i.id, i.prize_id, i.quantity) for i in plan.items]:
        return False
    for item in plan.items:
        if inspect(item).persistent:  # not one this session deleted (an order placed from it meanwhile)
            db.session.expire(item)
    return True


def _take_stock(prize: Prize, quantity: int, order: Order) -> None:
    if prize.stock is None:
        return
    taken = db.session.execute(
        update(Prize).where(Prize.id == prize.id, Prize.stock >= quantity)
        .values(stock=Prize.stock - quantity).execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        db.session.refresh(prize)
        raise DomainError(_l("Sorry, %(prize)s has just run out: %(n)s left.", prize=prize.name, n=prize.stock))
    db.session.expire(prize, ["stock"])
    db.session.add(StockMovement(prize_id=prize.id, delta=-quantity, reason="order", order_id=order.id))


def _remember_delivery(user: User, address: str, phone: str | None, email: str) -> None:
    """Keep the delivery details for the next order, in one statement: each detail given replaces the one kept (an
    electronic order, without an address, keeps the address)."""
    row = {"user_id": user.id, "address": address or None, "phone": phone or None, "email": email or None}
    db.session.execute(_delivery_upsert(db.session.get_bind().dialect.name), row)
    kept = db.session.identity_map.get(identity_key(DeliveryProfile, user.id))
    if kept is not None:
        db.session.expire(kept)
    freshness.touch_rows(db.session(), DeliveryProfile, [row])


@functools.cache
def _delivery_upsert(dialect: str):
    """Built once: an INSERT ... ON CONFLICT and its `excluded` row cost more to build than to run."""
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(DeliveryProfile.__table__)
    return statement.on_conflict_do_update(index_elements=["user_id"], set_={
        name: func.coalesce(statement.excluded[name], statement.table.c[name])
        for name in ("address", "phone", "email")})
