from dataclasses import dataclass

from flask import url_for

from portal.core.mail import PreparedMail, prepare_email
from portal.notifications.services import notify
from portal.shop.models import Order
from portal.shop.refunds import card_refunded

# Stands for the number of an order whose mail is rendered before the order is written (the largest id a URL
# takes but one: no order reaches it, and ten digits in a row appear nowhere else in the mail).
NOT_WRITTEN_YET = 2_147_483_646


@dataclass(frozen=True)
class OrderUpdate:
    """The participant's mail and bell about their order's new state, prepared (rendered, their mail settings read)
    so that `send` writes only their rows: placing an order prepares them before it takes the write lock."""

    mail: PreparedMail | None
    user_id: int
    link: str
    number: int

    def send(self, order: Order) -> None:
        fill = {str(self.number): str(order.id)}
        if self.mail is not None:
            self.mail.queue(fill)
        notify(self.user_id, "order_updated", {"id": order.id, "status": order.status},
               self.link.replace(str(self.number), str(order.id)))


class _Shown:
    """The order as its mail shows it: under the number it has, or will have once written."""

    def __init__(self, order: Order, number: int, user):
        self._order, self.id, self.user = order, number, user

    def __getattr__(self, name):
        return getattr(self._order, name)


def prepare_order_update(order: Order, user=None) -> OrderUpdate:
    """What `send_order_update` writes, without writing it. An order not written yet (no id) is shown under a
    stand-in number that `OrderUpdate.send` replaces with its own; `user` is its buyer."""
    user = user or order.user
    number = order.id if order.id is not None else NOT_WRITTEN_YET
    shown = _Shown(order, number, user)
    mail = prepare_email(user.email, "shop/email/order_subject.txt", "shop/email/order_body.txt",
                         locale=user.locale, category="decisions", order=shown, card_refunded=card_refunded(order),
                         link=url_for("shop.order", order_id=number, _external=True))
    return OrderUpdate(mail, user.id, url_for("shop.order", order_id=number), number)


def send_order_update(order: Order) -> None:
    """Tell the participant about their order's new state, in their language."""
    prepare_order_update(order).send(order)
