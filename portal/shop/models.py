"""The prize shop: catalogue, stock with its history, carts, orders and the prize-tax details."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.localized import in_locale
from portal.core.time import utcnow
from portal.extensions import db

PLACED = "placed"
AWAITING_PAYMENT = "awaiting_payment"
PAID = "paid"
APPROVED = "approved"
SHIPPED = "shipped"
DELIVERED = "delivered"
CANCELLED = "cancelled"
STATUSES = (PLACED, AWAITING_PAYMENT, PAID, APPROVED, SHIPPED, DELIVERED, CANCELLED)
# With a context: in Russian an order's states agree with «заказ», a claim's with «заявка».
STATUS_LABELS = {
    PLACED: lazy_pgettext("order status", "Placed"),
    AWAITING_PAYMENT: lazy_pgettext("order status", "Awaiting payment"),
    PAID: lazy_pgettext("order status", "Paid"),
    APPROVED: lazy_pgettext("order status", "Approved"),
    SHIPPED: lazy_pgettext("order status", "Shipped"),
    DELIVERED: lazy_pgettext("order status", "Delivered"),
    CANCELLED: lazy_pgettext("order status", "Cancelled"),
}
# The order's state machine: from each state, the states it may move to.
TRANSITIONS = {
    PLACED: {APPROVED, CANCELLED},
    AWAITING_PAYMENT: {PAID, CANCELLED},
    PAID: {APPROVED, CANCELLED},
    APPROVED: {SHIPPED, CANCELLED},
    SHIPPED: {DELIVERED},
    DELIVERED: set(),
    CANCELLED: set(),
}
# Notes the system writes on orders and stock moves, stored as codes and shown in the reader's language.
# A note a person typed (a cancellation reason, a tracking number) is shown as typed.
SYSTEM_NOTES = {
    "card": _l("paid by card"),
    "card declined": _l("the card was declined"),
    "card payment failed": _l("the card payment failed"),
    "payment not completed in time": _l("the card payment was not completed in time"),
    "order": _l("order"),
    "cancelled order": _l("returned from a cancelled order"),
    "prize form": _l("changed on the prize form"),
}


def note_label(note: str | None) -> str:
    return str(SYSTEM_NOTES[note]) if note in SYSTEM_NOTES else (note or "")


# A participant may cancel their own order until the program team approves it.
CANCELLABLE_BY_PARTICIPANT = {PLACED, AWAITING_PAYMENT, PAID}


class PrizeCategory(db.Model):
    __tablename__ = "prize_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(100))  # optional English name; Russian when empty
    position: Mapped[int] = mapped_column(default=0)

    @property
    def display_name(self) -> str:
        return in_locale(self.name, self.name_en)


class Prize(db.Model):
    __tablename__ = "prizes"
    __table_args__ = (
        CheckConstraint("price_points > 0", name="price_positive"),
        # Stock never goes negative, whatever the race: the database refuses it too.
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        CheckConstraint("value_kopecks IS NULL OR value_kopecks >= 0", name="value_not_negative"),
        CheckConstraint("audience IS NULL OR audience IN ('manager', 'specialist')", name="audience_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("prize_categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    name_en: Mapped[str | None] = mapped_column(String(200))  # optional English versions
    description_en: Mapped[str | None] = mapped_column(Text)
    price_points: Mapped[int]
    # The prize's value for the tax register; empty: its price in points at the program's point value.
    value_kopecks: Mapped[int | None]
    stock: Mapped[int | None]  # NULL: unlimited (electronic certificates)
    electronic: Mapped[bool] = mapped_column(default=False)
    audience: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True, index=True)
    image_path: Mapped[str | None] = mapped_column(String(255))
    thumb_path: Mapped[str | None] = mapped_column(String(255))
    low_stock_threshold: Mapped[int] = mapped_column(default=3)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    category = relationship(PrizeCategory)

    @property
    def display_name(self) -> str:
        return in_locale(self.name, self.name_en)

    @property
    def display_description(self) -> str:
        return in_locale(self.description, self.description_en)

    @property
    def in_stock(self) -> bool:
        return self.stock is None or self.stock > 0

    @property
    def low_stock(self) -> bool:
        return self.stock is not None and self.stock <= self.low_stock_threshold


class StockMovement(db.Model):
    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    prize_id: Mapped[int] = mapped_column(ForeignKey("prizes.id"), index=True)
    delta: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor = relationship("User")

    @property
    def reason_label(self) -> str:
        return note_label(self.reason)


class CartItem(db.Model):
    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("user_id", "prize_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    prize_id: Mapped[int] = mapped_column(ForeignKey("prizes.id"))
    quantity: Mapped[int] = mapped_column(default=1)

    prize = relationship(Prize)


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="status_known"),
        CheckConstraint("points >= 0 AND card_kopecks >= 0", name="amounts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # The checkout form's one-time token: a double click or a resubmitted form places one order.
    request_token: Mapped[str] = mapped_column(String(64), unique=True)
    points: Mapped[int]  # paid in points
    card_kopecks: Mapped[int] = mapped_column(default=0)  # paid by card (co-payment)
    prize_value_kopecks: Mapped[int]  # counts towards the yearly prize total for tax
    delivery_address: Mapped[str | None] = mapped_column(String(500))
    delivery_phone: Mapped[str | None] = mapped_column(String(16))
    delivery_email: Mapped[str | None] = mapped_column(String(254))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user = relationship("User")
    lines = relationship("OrderLine", back_populates="order", order_by="OrderLine.id")
    events = relationship("OrderEvent", back_populates="order", order_by="OrderEvent.id")

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def cancel_reason_label(self) -> str:
        return note_label(self.cancel_reason)

    @property
    def list_points(self) -> int:
        """The prizes' price in points, before any part was paid by card."""
        return sum(line.price_points * line.quantity for line in self.lines)


class OrderLine(db.Model):
    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    prize_id: Mapped[int] = mapped_column(ForeignKey("prizes.id"))
    quantity: Mapped[int]
    price_points: Mapped[int]
    value_kopecks: Mapped[int]

    order = relationship(Order, back_populates="lines")
    prize = relationship(Prize)


class OrderEvent(db.Model):
    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order = relationship(Order, back_populates="events")
    actor = relationship("User")

    @property
    def note_label(self) -> str:
        return note_label(self.note)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


class DeliveryProfile(db.Model):
    """The delivery details a participant used last, offered next time."""

    __tablename__ = "delivery_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    address: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(254))


class TaxProfile(db.Model):
    """What the program, as tax agent, needs from a participant whose prizes pass 4,000 RUB a year."""

    __tablename__ = "tax_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    personal_inn: Mapped[str] = mapped_column(String(12))
    passport: Mapped[str] = mapped_column(String(20))
    registration_address: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
