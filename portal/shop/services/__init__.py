"""Shop rules, one module per job: the catalogue, the cart, checkout, orders and stock, the card part of orders,
prize tax. Callers import the functions from here."""

from portal.shop.refunds import card_refunded
from portal.shop.services.cart import add_to_cart, cart_of, set_quantity
from portal.shop.services.catalogue import (
    available_to,
    catalogue,
    prize_categories,
    prize_form_data,
    prize_value,
    prizes_query,
    save_prize,
    stock_movements_query,
)
from portal.shop.services.checkout import (
    CartEmpty,
    Delivery,
    Summary,
    check_out,
    checkout_form_data,
    delivery_profile,
    place_order,
    summary,
)
from portal.shop.services.order_payments import (
    PaymentWindowOver,
    expire_unpaid_orders,
    pay_order,
    payment_deadline,
    payment_failed,
    payment_succeeded,
    release_abandoned_checkouts,
)
from portal.shop.services.orders import (
    adjust_stock,
    approve_order,
    cancel_order,
    count_to_fulfil,
    deliver_order,
    orders_query,
    ship_order,
)
from portal.shop.services.prize_tax import save_tax_profile, tax_register, tax_register_query, yearly_prize_total

__all__ = [
    "CartEmpty", "Delivery", "PaymentWindowOver", "Summary", "add_to_cart", "adjust_stock", "approve_order",
    "available_to", "cancel_order", "card_refunded", "cart_of", "catalogue", "check_out", "checkout_form_data",
    "count_to_fulfil", "deliver_order", "delivery_profile", "expire_unpaid_orders", "orders_query", "pay_order",
    "payment_deadline", "payment_failed", "payment_succeeded", "place_order", "prize_categories", "prize_form_data",
    "prize_value", "prizes_query", "release_abandoned_checkouts", "save_prize", "save_tax_profile", "set_quantity",
    "ship_order", "stock_movements_query", "summary", "tax_register", "tax_register_query", "yearly_prize_total",
]
