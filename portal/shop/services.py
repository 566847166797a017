"""Shop rules: what a participant may buy, cart, placing an order atomically, fulfilment and prize tax."""

import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from portal.auth.models import PARTNER_ROLES, STAFF_ROLES, User
from portal.core.errors import DomainError, NotAllowed
from portal.core.fields import as_id
from portal.core.inn import is_valid_inn, normalize_inn
from portal.core.phones import normalize_phone
from portal.core.sql import compare_and_set, insert_or_add, lower_text
from portal.core.time import in_local_year, today, utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.payments import services as payments
from portal.program.services import get_settings
from portal.shop.models import (
    APPROVED,
    AWAITING_PAYMENT,
    CANCELLABLE_BY_PARTICIPANT,
    CANCELLED,
    DELIVERED,
    PAID,
    PLACED,
    SHIPPED,
    STATUS_LABELS,
    TRANSITIONS,
    CartItem,
    DeliveryProfile,
    Order,
    OrderEvent,
    OrderLine,
    Prize,
    PrizeCategory,
    StockMovement,
    TaxProfile,
)

# --- catalogue -----------------------------------------------------------------------------------


def available_to(user: User, prize: Prize) -> bool:
    return prize.active and (prize.audience is None or user.role in STAFF_ROLES or prize.audience == user.audience)


def catalogue(user: User, *, q: str = "", category_id: int | None = None, max_points: int | None = None,
              affordable: bool = False, sort: str = "popular"):

    query = select(Prize).where(Prize.active.is_(True))
    if user.role in PARTNER_ROLES:
        query = query.where(or_(Prize.audience.is_(None), Prize.audience == user.audience))
    if q.strip():
        query = query.where(lower_text(Prize.name).like(f"%{q.strip().lower()}%"))
    if category_id:
        query = query.where(Prize.category_id == category_id)
    if max_points:
        query = query.where(Prize.price_points <= max_points)
    if affordable:
        query = query.where(Prize.price_points <= ledger.balance_of(user.id))
    order = {"cheap": (Prize.price_points.asc(),), "expensive": (Prize.price_points.desc(),),
             "new": (Prize.created_at.desc(),)}.get(sort, (Prize.category_id, Prize.price_points))
    return query.order_by(*order, Prize.id)


def prize_value(prize: Prize) -> int:
    """The prize's value in kopecks for tax: its own value when set, else its price at the point value."""
    if prize.value_kopecks is not None:
        return prize.value_kopecks
    return prize.price_points * get_settings().point_value_kopecks


# --- cart ----------------------------------------------------------------------------------------


def cart_of(user: User) -> list[CartItem]:
    return list(db.session.scalars(select(CartItem).where(CartItem.user_id == user.id).order_by(CartItem.id)))


def add_to_cart(user: User, prize: Prize, quantity: int = 1) -> None:
    if user.role not in PARTNER_ROLES:
        raise NotAllowed(_l("Only participants order prizes."))
    if not available_to(user, prize):
        raise DomainError(_l("This prize is not available to you."))
    if quantity < 1 or quantity > 100:
        raise DomainError(_l("Choose a quantity from 1 to 100."), field="quantity")
    if prize.stock is not None and quantity > prize.stock:
        raise DomainError(_l("Only %(n)s left in stock.", n=prize.stock), field="quantity")
    # One statement inserts the line or adds to it: the same prize added from two tabs at once makes one line
    # holding both quantities. Over the stock, the savepoint takes the addition back.
    with db.session.begin_nested():
        wanted = insert_or_add(CartItem, {"user_id": user.id, "prize_id": prize.id, "quantity": quantity},
                               ["user_id", "prize_id"], "quantity")
        if prize.stock is not None and wanted > prize.stock:
            raise DomainError(_l("Only %(n)s left in stock.", n=prize.stock), field="quantity")
    _forget_cart_lines(user)


def _forget_cart_lines(user: User) -> None:
    """Cart lines loaded before a statement changed them behind the session's back are read again."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, CartItem) and obj.user_id == user.id:
            db.session.expire(obj)


def set_quantity(user: User, item: CartItem, quantity: int) -> None:
    if item.user_id != user.id:
        raise NotAllowed(_l("This is not your cart."))
    if quantity <= 0:
        db.session.delete(item)
    elif item.prize.stock is not None and quantity > item.prize.stock:
        raise DomainError(_l("Only %(n)s left in stock.", n=item.prize.stock), field="quantity")
    else:
        item.quantity = quantity
    db.session.flush()


# --- checkout ------------------------------------------------------------------------------------


def yearly_prize_total(user_id: int, year: int) -> int:
    """The value of the prizes a person received (ordered, not cancelled) in a calendar year, in kopecks: what the
    program paid for, so without any part the person paid by card."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(Order.prize_value_kopecks), 0)).where(
            Order.user_id == user_id, Order.status != CANCELLED, in_local_year(Order.created_at, year))
    ))


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
        balance=ledger.balance_of(user.id), value_kopecks=sum(prize_value(i.prize) * i.quantity for i in items),
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


def place_order(user: User, *, request_token: str, delivery: Delivery, pay_rest_by_card: bool = False) -> Order:
    """Turn the cart into an order: points are debited and stock reserved in one transaction, or nothing is.

    The participant's accounts are locked first, so a double click waits for the first order and gets it
    back (the form's one-time token); stock is taken by a conditional update, so it never goes negative
    when many people buy the last items at once."""
    if user.role not in PARTNER_ROLES:
        raise NotAllowed(_l("Only participants order prizes."))
    if not request_token:
        raise DomainError(_l("The form has expired. Open the page again and resend it."))
    ledger.lock_participant(user.id)
    existing = db.session.scalar(select(Order).where(Order.request_token == request_token))
    if existing is not None:
        if existing.user_id != user.id:
            raise NotAllowed(_l("The form has expired. Open the page again and resend it."))
        return existing
    plan = summary(user)
    if not plan.items:
        raise DomainError(_l("Your cart is empty."))
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
    copay = plan.shortfall > 0 and pay_rest_by_card
    if plan.shortfall > 0 and not (copay and plan.copay_possible):
        raise ledger.InsufficientPoints(available=plan.balance, needed=plan.points)

    order = Order(user_id=user.id, status=AWAITING_PAYMENT if copay else PLACED, request_token=request_token,
                  points=plan.points - plan.shortfall, card_kopecks=plan.card_kopecks if copay else 0,
                  prize_value_kopecks=plan.value_for_tax_kopecks, delivery_address=address or None,
                  delivery_phone=phone, delivery_email=email or None)
    db.session.add(order)
    db.session.flush()
    for item in plan.items:
        _take_stock(item.prize, item.quantity, order)
        db.session.add(OrderLine(order_id=order.id, prize_id=item.prize_id, quantity=item.quantity,
                                 price_points=item.prize.price_points, value_kopecks=prize_value(item.prize)))
    if copay:
        # The points are held, not spent, until the card part is paid; a failed payment gives them back.
        if order.points:
            ledger.spend(user.id, order.points, key=f"order:{order.id}:hold", source_type="order",
                         source_id=order.id, hold=True)
    else:
        ledger.spend(user.id, order.points, key=f"order:{order.id}:points", source_type="order",
                     source_id=order.id)
    for item in plan.items:
        db.session.delete(item)
    _remember_delivery(user, address, phone, email)
    db.session.add(OrderEvent(order_id=order.id, status=order.status, actor_id=user.id))
    db.session.flush()
    return order


def _take_stock(prize: Prize, quantity: int, order: Order) -> None:
    if prize.stock is None:
        return
    taken = db.session.execute(
        update(Prize).where(Prize.id == prize.id, Prize.stock >= quantity)
        .values(stock=Prize.stock - quantity).execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(prize)
    if taken != 1:
        raise DomainError(_l("Sorry, %(prize)s has just run out: %(n)s left.", prize=prize.name, n=prize.stock))
    db.session.add(StockMovement(prize_id=prize.id, delta=-quantity, reason="order", order_id=order.id))


def _remember_delivery(user: User, address: str, phone: str | None, email: str) -> None:
    profile = db.session.get(DeliveryProfile, user.id) or DeliveryProfile(user_id=user.id)
    profile.address, profile.phone, profile.email = address or profile.address, phone or profile.phone, \
        email or profile.email
    db.session.add(profile)


def save_tax_profile(user: User, *, personal_inn: str, passport: str, registration_address: str) -> TaxProfile:
    inn = normalize_inn(personal_inn)
    if len(inn) != 12 or not is_valid_inn(inn):
        raise DomainError(_l("Enter your personal INN: 12 digits with correct check digits."), field="personal_inn")
    digits = "".join(ch for ch in passport or "" if ch.isdigit())
    if len(digits) != 10:
        raise DomainError(_l("Enter the passport series and number: 10 digits."), field="passport")
    if len(" ".join((registration_address or "").split())) < 10:
        raise DomainError(_l("Enter the registration address."), field="registration_address")
    profile = db.session.get(TaxProfile, user.id) or TaxProfile(user_id=user.id)
    profile.personal_inn = inn
    profile.passport = f"{digits[:4]} {digits[4:]}"
    profile.registration_address = " ".join(registration_address.split())
    db.session.add(profile)
    db.session.flush()
    return profile


# --- fulfilment ----------------------------------------------------------------------------------


def _move(order: Order, target: str, actor: User, note: str | None = None, **values) -> None:
    if target not in TRANSITIONS[order.status]:
        raise DomainError(_l("Order #%(id)s is %(status)s: it cannot become %(target)s.", id=order.id,
                             status=str(STATUS_LABELS[order.status]).lower(),
                             target=str(STATUS_LABELS[target]).lower()))
    if not compare_and_set(order, "status", order.status, status=target, updated_at=utcnow(), **values):
        raise DomainError(_l("Order #%(id)s was changed by someone else: reload the page.", id=order.id))
    db.session.add(OrderEvent(order_id=order.id, status=target, actor_id=actor.id, note=note))
    db.session.flush()


def _require_staff(actor: User) -> None:
    if actor.role not in STAFF_ROLES:
        raise NotAllowed(_l("Only the program team fulfils orders."))


def approve_order(order: Order, actor: User) -> None:
    _require_staff(actor)
    _move(order, APPROVED, actor)


def ship_order(order: Order, actor: User, tracking_number: str = "") -> None:
    _require_staff(actor)
    tracking = (tracking_number or "").strip()[:100] or None
    _move(order, SHIPPED, actor, note=tracking, tracking_number=tracking)


def deliver_order(order: Order, actor: User) -> None:
    _require_staff(actor)
    _move(order, DELIVERED, actor)


def cancel_order(order: Order, actor: User, reason: str = "") -> None:
    """Cancel an order: the points go back to the same lots and the stock is returned, once."""
    reason = (reason or "").strip()
    if actor.role in STAFF_ROLES:
        if not reason:
            raise DomainError(_l("Say why the order is cancelled: the participant will see it."), field="reason")
    elif order.user_id != actor.id:
        raise NotAllowed(_l("This is not your order."))
    elif order.status not in CANCELLABLE_BY_PARTICIPANT:
        raise DomainError(_l("The order is already approved: ask the program team to cancel it."))
    _move(order, CANCELLED, actor, note=reason or None, cancel_reason=reason or None)
    _release(order, actor.id, reason or None)


def _release(order: Order, actor_id: int | None, reason: str | None) -> None:
    """Give back what a cancelled order took: points (to the same lots), the card payment, the stock."""
    spent = ledger.find_transaction(f"order:{order.id}:points")
    if spent is not None:
        ledger.reverse_transaction(spent, actor_id=actor_id, reason=reason, key=f"order:{order.id}:cancelled")
    captured = ledger.find_transaction(f"order:{order.id}:capture")
    if captured is not None:
        ledger.reverse_transaction(captured, actor_id=actor_id, reason=reason, key=f"order:{order.id}:uncaptured")
    hold = ledger.find_transaction(f"order:{order.id}:hold")
    if hold is not None:
        ledger.reverse_transaction(hold, actor_id=actor_id, reason=reason, key=f"order:{order.id}:released")
    for payment in payments.payments_for(order.id):
        if payment.status == "succeeded":
            payments.refund(payment)
        else:
            payments.cancel_intent(payment)
    for line in order.lines:
        if line.prize.stock is not None:
            db.session.execute(update(Prize).where(Prize.id == line.prize_id)
                               .values(stock=Prize.stock + line.quantity).execution_options(synchronize_session=False))
            db.session.expire(line.prize, ["stock"])
            db.session.add(StockMovement(prize_id=line.prize_id, delta=line.quantity, reason="cancelled order",
                                         order_id=order.id, actor_id=actor_id))
    db.session.flush()


# --- card co-payment -----------------------------------------------------------------------------


def payment_deadline(order: Order):
    """Until when an order awaiting payment waits for its card part (the program's payment timeout after it was
    placed); a declined card may be replaced by another until then. Stored moment, naive UTC."""
    return order.created_at + timedelta(minutes=get_settings().payment_timeout_minutes)


class PaymentWindowOver(DomainError):
    def __init__(self):
        super().__init__(_l("The time to pay for this order ran out: the order is cancelled and your points are "
                            "back."))


def _lock_order(order: Order) -> None:
    """Hold the order's row until the transaction ends (SQLite: its write lock), then read it again: two payment
    attempts on one order, or an attempt and the expiry job, take turns."""
    db.session.execute(update(Order).where(Order.id == order.id).values(updated_at=Order.updated_at)
                       .execution_options(synchronize_session=False))
    db.session.refresh(order)


def pay_order(order: Order, user: User, card_token: str) -> str:
    """Charge the card part of an order awaiting payment. Returns the payment intent's status.

    A declined card leaves the order waiting, its points and stock still held: the participant may try another
    card until the payment window ends (payment_deadline), after which the order is cancelled. An attempt still
    in progress (3-D Secure, a charge whose webhook has not come yet) is answered with its status instead of
    charging again."""
    if order.user_id != user.id:
        raise NotAllowed(_l("This is not your order."))
    ledger.lock_participant(order.user_id)  # first, as the expiry job and the webhooks take them: no deadlock
    _lock_order(order)
    if order.status != AWAITING_PAYMENT:
        raise DomainError(_l("This order is not awaiting payment."))
    if utcnow() >= payment_deadline(order):
        _cancel_unpaid(order, note="payment not completed in time")
        raise PaymentWindowOver()
    attempts = payments.payments_for(order.id)
    current = next((p for p in attempts if p.status == "created"), None)
    if current is not None:
        status = payments.intent_status(current)
        if status not in ("requires_payment_method", "canceled"):
            return status  # still going: the browser goes on with it
        _record_decline(order, current, note="card payment failed")  # it did not go through: a new attempt
    try:
        _payment, status = payments.charge_card(order.id, order.card_kopecks, card_token, attempt=len(attempts) + 1)
    except payments.CardDeclined as exc:
        _record_decline(order, payments.payment_for(order.id), note="card declined")
        raise payments.CardDeclined(_l(
            "%(reason)s The order waits for payment until %(deadline)s: your points and the prizes stay reserved "
            "until then.", reason=exc.message, deadline=format_datetime(payment_deadline(order), "short"))) from exc
    return status


def _record_decline(order: Order, payment, note: str) -> bool:
    """An attempt did not go through: it is closed as failed and the order's history says so, once per attempt.
    The order keeps waiting for another card. False when there was nothing left to record."""
    if payment is not None:
        if payment.status != "created":
            return False
        payment.status = "failed"
    if order.status == AWAITING_PAYMENT:
        db.session.add(OrderEvent(order_id=order.id, status=AWAITING_PAYMENT, note=note))
    db.session.flush()
    return True


def _cancel_unpaid(order: Order, note: str) -> None:
    """The payment window is over: the order is cancelled and gives back its held points and stock, once (the
    state moves by compare-and-set, so a second caller finds it cancelled already)."""
    if order.status == AWAITING_PAYMENT:
        system = db.session.get(User, order.user_id)
        _move(order, CANCELLED, system, note=note, cancel_reason=note)
        _release(order, None, note)


def payment_succeeded(intent_id: str) -> Order | None:
    """The verified webhook says the card part is paid: the held points are spent and the order is paid.
    A late success for an order already cancelled (abandoned), or already paid by another attempt, is refunded."""
    payment = payments.payment_by_intent(intent_id)
    if payment is None:
        return None
    order = db.session.get(Order, payment.order_id)
    ledger.lock_participant(order.user_id)
    db.session.refresh(order)
    db.session.refresh(payment)
    if payment.status in ("succeeded", "refunded"):
        return order  # already handled
    payment.status = "succeeded"
    if order.status == AWAITING_PAYMENT:
        hold = ledger.find_transaction(f"order:{order.id}:hold")
        if hold is not None:
            ledger.capture_hold(hold, key=f"order:{order.id}:capture")
        _move(order, PAID, db.session.get(User, order.user_id), note="card")
    else:
        payments.refund(payment)
    db.session.flush()
    return order


def payment_failed(intent_id: str) -> Order | None:
    """The verified webhook says an attempt failed (a declined charge, 3-D Secure not passed): the attempt is
    closed and the order keeps waiting for another card. Stripe may report a decline the charge call already
    reported, or deliver the event twice: the second report changes nothing. Returns the order when its history
    changed."""
    payment = payments.payment_by_intent(intent_id)
    if payment is None:
        return None
    order = db.session.get(Order, payment.order_id)
    ledger.lock_participant(order.user_id)
    db.session.refresh(order)
    db.session.refresh(payment)
    changed = _record_decline(order, payment, note="card payment failed")
    db.session.flush()
    return order if changed else None


def expire_unpaid_orders(now=None) -> int:
    """The job for unpaid card orders: orders awaiting payment past their payment window are cancelled and release
    their points and stock, exactly once."""
    now = now or utcnow()
    limit = now - timedelta(minutes=get_settings().payment_timeout_minutes)
    expired = 0
    for order_id in db.session.scalars(
        select(Order.id).where(Order.status == AWAITING_PAYMENT, Order.created_at <= limit).order_by(Order.id)
    ).all():
        order = db.session.get(Order, order_id)
        ledger.lock_participant(order.user_id)
        db.session.refresh(order)
        if order.status == AWAITING_PAYMENT:
            _cancel_unpaid(order, note="payment not completed in time")
            from portal.shop.notifications import send_order_update  # it imports this module

            send_order_update(order)  # the participant may have left the payment page long ago
            expired += 1
        db.session.commit()
    return expired


_last_release = {"at": float("-inf")}


def release_abandoned_checkouts() -> int:
    """Run the abandoned-checkout job now and then while people read shop pages: the demo (`make run`) has no
    worker, and held points must come back on time anyway. At most once a minute per process
    (ABANDONED_CHECKOUT_SWEEP_SECONDS); the job itself is idempotent, so the worker running it too is harmless."""
    interval = current_app.config.get("ABANDONED_CHECKOUT_SWEEP_SECONDS", 60)
    now = time.monotonic()
    if now - _last_release["at"] < interval:
        return 0
    _last_release["at"] = now
    db.session.commit()  # the job commits order by order: start it from a clean transaction
    return expire_unpaid_orders()


def adjust_stock(prize: Prize, delta: int, reason: str, actor: User) -> None:
    _require_staff(actor)
    if not (reason or "").strip():
        raise DomainError(_l("Say why the stock changes."), field="reason")
    if prize.stock is None:
        raise DomainError(_l("This prize has unlimited stock."))
    if prize.stock + delta < 0:
        raise DomainError(_l("Stock cannot go below zero: %(n)s in stock.", n=prize.stock), field="delta")
    prize.stock += delta
    db.session.add(StockMovement(prize_id=prize.id, delta=delta, reason=reason.strip()[:200], actor_id=actor.id))
    db.session.flush()


def orders_query(*, user_id: int | None = None, status: str = "", q: str = ""):
    query = select(Order).options(selectinload(Order.lines).selectinload(OrderLine.prize)).order_by(
        Order.created_at.desc(), Order.id.desc())
    if user_id:  # one buyer's orders: the buyer is the reader, already in the session
        query = query.where(Order.user_id == user_id)
    else:
        query = query.options(selectinload(Order.user))
    if status:
        query = query.where(Order.status == status)
    if q.strip().isdigit():
        query = query.where(Order.id == (as_id(q) or 0))
    elif q.strip():
        query = query.join(User, User.id == Order.user_id).where(lower_text(User.full_name).like(f"%{q.lower()}%"))
    return query


def tax_register_query(year: int, q: str = ""):
    """Participants with prizes in the year, by name: the register's rows, to page through."""
    query = (select(User).join(Order, Order.user_id == User.id)
             .where(Order.status != CANCELLED, in_local_year(Order.created_at, year))
             .group_by(User.id).order_by(User.full_name, User.id))
    if q.strip():
        query = query.where(lower_text(User.full_name).like(f"%{q.strip().lower()}%"))
    return query


def tax_register(year: int, users: list[User] | None = None) -> list[dict]:
    """Per participant: the year's prize total, what is above the threshold, and the tax at the program's rate.
    For the given participants (a page of the register), or for everyone."""
    settings = get_settings()
    query = (select(User, func.sum(Order.prize_value_kopecks)).join(Order, Order.user_id == User.id)
             .where(Order.status != CANCELLED, in_local_year(Order.created_at, year))
             .group_by(User.id).order_by(User.full_name, User.id))
    if users is not None:
        query = query.where(User.id.in_([u.id for u in users]))
    rows = db.session.execute(query).all()
    profiles = {p.user_id: p for p in db.session.scalars(
        select(TaxProfile).where(TaxProfile.user_id.in_([user.id for user, _ in rows])))}
    register = []
    for user, total in rows:
        total = int(total)
        excess = max(0, total - settings.tax_threshold_kopecks)
        register.append({"user": user, "total": total, "excess": excess,
                         "tax": excess * settings.tax_rate_percent // 100, "profile": profiles.get(user.id)})
    return register


def prizes_query(q: str = "", category_id: int | None = None):
    """The console's prize list: search by name (Russian or English), optionally one category."""
    query = select(Prize).options(selectinload(Prize.category)).order_by(Prize.category_id, Prize.name, Prize.id)
    if q.strip():
        needle = f"%{q.strip().lower()}%"
        query = query.where(or_(lower_text(Prize.name).like(needle), lower_text(Prize.name_en).like(needle)))
    if category_id:
        query = query.where(Prize.category_id == category_id)
    return query


def save_prize(prize: Prize | None, *, name: str, category: str, description: str, price_points: int,
               value_kopecks: int | None, stock: int | None, electronic: bool, audience: str | None, active: bool,
               images: tuple[str, str] | None, actor: User, name_en: str | None = None,
               description_en: str | None = None, category_en: str | None = None) -> Prize:
    _require_staff(actor)
    if not (name or "").strip():
        raise DomainError(_l("Enter the prize name."), field="name")
    if not price_points or price_points <= 0:
        raise DomainError(_l("The price must be positive."), field="price_points")
    category_name = " ".join((category or "").split())
    found = db.session.scalar(select(PrizeCategory).where(PrizeCategory.name == category_name))
    if found is None:
        found = PrizeCategory(name=category_name)
        db.session.add(found)
        db.session.flush()
    if (category_en or "").strip():
        found.name_en = " ".join(category_en.split())
    if prize is None:
        prize = Prize(stock=None)
        db.session.add(prize)
        previous_stock = None
    else:
        previous_stock = prize.stock
    prize.name = " ".join(name.split())
    prize.category_id = found.id
    prize.description = description.strip()
    prize.name_en = " ".join((name_en or "").split()) or None
    prize.description_en = (description_en or "").strip() or None
    prize.price_points = price_points
    prize.value_kopecks = value_kopecks
    prize.electronic = electronic
    prize.audience = audience
    prize.active = active
    if images is not None:
        prize.image_path, prize.thumb_path = images
    db.session.flush()
    if stock != previous_stock:
        # Stock changes from the form are recorded like any other movement.
        delta = (stock or 0) - (previous_stock or 0)
        prize.stock = stock
        if stock is not None and delta:
            db.session.add(StockMovement(prize_id=prize.id, delta=delta, reason="prize form", actor_id=actor.id))
    db.session.flush()
    return prize


def card_refunded(order: Order) -> bool:
    """The card part of this cancelled order went back to the card."""
    if order.status != CANCELLED or not order.card_kopecks:
        return False
    return any(payment.status == "refunded" for payment in payments.payments_for(order.id))


def count_to_fulfil() -> int:
    """Orders the program team has to act on: placed or paid (to approve) and approved (to ship)."""
    return db.session.scalar(
        select(func.count(Order.id)).where(Order.status.in_([PLACED, PAID, APPROVED]))) or 0
