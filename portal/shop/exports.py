"""The supplier's order list and the prize-tax register as tables: immediate when small, by the worker when large."""

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.auth.models import User
from portal.core.exports import DATETIME, INT, MONEY, Column, Table, export_builder
from portal.core.phones import format_phone
from portal.core.time import utcnow
from portal.extensions import db
from portal.shop import services
from portal.shop.models import STATUS_LABELS, Order, OrderLine, Prize


@export_builder("shop-orders")
def orders_table(params: dict) -> Table:
    """params: status (an order status)."""
    status = params.get("status") if params.get("status") in STATUS_LABELS else ""
    total = db.session.scalar(select(func.count(OrderLine.id)).join(Order, Order.id == OrderLine.order_id)
                              .where(Order.status == status) if status else select(func.count(OrderLine.id)))

    # Plain columns, streamed: 100,000 lines in constant memory and without building ORM objects.
    query = (select(Order.id, Order.created_at, User.full_name, Order.delivery_phone, Order.delivery_address,
                    Order.delivery_email, Prize.name, OrderLine.quantity, Order.points, Order.card_kopecks)
             .join(OrderLine, OrderLine.order_id == Order.id).join(User, User.id == Order.user_id)
             .join(Prize, Prize.id == OrderLine.prize_id)
             .order_by(Order.created_at.desc(), Order.id.desc(), OrderLine.id))
    if status:
        query = query.where(Order.status == status)

    def rows():
        for (order_id, created_at, name, phone, address, email, prize, quantity, points,
             card_kopecks) in db.session.execute(query.execution_options(yield_per=1000)):
            yield (order_id, created_at, name, format_phone(phone), address or "", email or "", prize, quantity,
                   points, card_kopecks)

    return Table(filename=f"orders-{status or 'all'}-{utcnow():%Y%m%d}", sheet_title=_("Orders"),
                 header=[Column(_("Order number"), INT), Column(_("Date"), DATETIME), Column(_("Recipient")),
                         Column(_("Phone")), Column(_("Address")), Column(_("Email")), Column(_("Prize")),
                         Column(_("Quantity"), INT), Column(_("Order paid in points"), INT),
                         Column(_("Order paid by card, RUB"), MONEY)],
                 rows=rows(), total=total)


@export_builder("prize-tax")
def tax_register_table(params: dict) -> Table:
    """params: year."""
    year = int(params["year"])
    register = services.tax_register(year)
    rows = ((r["user"].full_name, r["user"].email, r["profile"].personal_inn if r["profile"] else "",
             r["total"], r["excess"], r["tax"]) for r in register)
    return Table(filename=f"prize-tax-{year}", sheet_title=_("Prize tax %(year)s", year=year),
                 header=[Column(_("Participant")), Column(_("Email")), Column(_("Personal INN")),
                         Column(_("Prizes in the year, RUB"), MONEY), Column(_("Taxable excess, RUB"), MONEY),
                         Column(_("Tax, RUB"), MONEY)], rows=rows, total=len(register))
