"""Card payments through Stripe and the webhook events we have already handled."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.time import utcnow
from portal.extensions import db

PAYMENT_STATUSES = ("created", "succeeded", "failed", "canceled", "refunded")


class Payment(db.Model):
    """One attempt to pay an order's card part. A declined card leaves its attempt failed and the order waiting:
    the participant may try another card (a new attempt) until the payment window ends."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(f"status IN {PAYMENT_STATUSES}", name="status_known"),
        CheckConstraint("amount_kopecks > 0", name="amount_positive"),
        # At most one attempt in progress per order, whatever the race (migration 0025).
        Index("uq_payments_order_in_progress", "order_id", unique=True,
              sqlite_where=text("status = 'created'"), postgresql_where=text("status = 'created'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    intent_id: Mapped[str] = mapped_column(String(100), unique=True)
    client_secret: Mapped[str] = mapped_column(String(200))
    amount_kopecks: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="created")
    refund_id: Mapped[str | None] = mapped_column(String(100), unique=True)  # a refund happens once
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookEvent(db.Model):
    """Every Stripe event handled, by id: a duplicate delivery changes nothing twice."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(60))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
