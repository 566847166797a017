from flask import url_for

from portal.core.mail import send_email
from portal.notifications.services import notify
from portal.shop.models import Order
from portal.shop.refunds import card_refunded


def send_order_update(order: Order) -> None:
    """Tell the participant about their order's new state, in their language."""
    send_email(order.user.email, "shop/email/order_subject.txt", "shop/email/order_body.txt",
               locale=order.user.locale, category="decisions", order=order, card_refunded=card_refunded(order),
               link=url_for("shop.order", order_id=order.id, _external=True))
    notify(order.user_id, "order_updated", {"id": order.id, "status": order.status},
           url_for("shop.order", order_id=order.id))
