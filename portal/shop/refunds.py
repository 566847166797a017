"""Whether a cancelled order's card part went back to the card: read by the order pages and the order mail."""

from portal.payments import services as payments
from portal.shop.models import CANCELLED, Order


def card_refunded(order: Order) -> bool:
    """The card part of this cancelled order went back to the card."""
    if order.status != CANCELLED or not order.card_kopecks:
        return False
    return any(payment.status == "refunded" for payment in payments.payments_for(order.id))
