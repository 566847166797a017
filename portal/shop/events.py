"""The shop's receivers: an order follows its card payment as Stripe's verified webhook reports it."""

from portal.core import events
from portal.shop import services
from portal.shop.notifications import send_order_update


@events.card_payment_succeeded.connect
def _paid(intent_id: str, **_extra) -> None:
    order = services.payment_succeeded(intent_id)
    if order is not None:
        send_order_update(order)


@events.card_payment_failed.connect
def _failed(intent_id: str, **_extra) -> None:
    # The order keeps waiting for another card: nothing to mail (the participant is on the payment page, and is
    # told if the order is cancelled when its payment window ends).
    services.payment_failed(intent_id)
