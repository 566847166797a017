"""Card payments through Stripe and the webhook events we have already handled."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.time import utcnow
from portal.extensions import db

PAYMENT_STATUSES = ("created", "succeeded", "failed", "canceled", "refunded")


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(f"status IN {PAYMENT_STATUSES}", name="status_known"),
        CheckConstraint("amount_kopecks > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
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
