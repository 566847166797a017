"""The supplier's order list and the prize-tax register as tables: immediate when small, by the worker when large."""

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.core.exports import Table, export_builder
from portal.core.phones import format_phone
from portal.core.time import utcnow
from portal.extensions import db
from portal.shop import services
from portal.shop.models import STATUS_LABELS, Order, OrderLine


@export_builder("shop-orders")
def orders_table(params: dict) -> Table:
    """params: status (an order status)."""
    status = params.get("status") if params.get("status") in STATUS_LABELS else ""
    total = db.session.scalar(select(func.count(OrderLine.id)).join(Order, Order.id == OrderLine.order_id)
                              .where(Order.status == status) if status else select(func.count(OrderLine.id)))

    def rows():
        for order in db.session.scalars(services.orders_query(status=status).execution_options(yield_per=500)):
            for line in order.lines:
                yield (order.id, order.created_at, order.user.full_name, format_phone(order.delivery_phone),
                       order.delivery_address or "", order.delivery_email or "", line.prize.name, line.quantity)

    return Table(filename=f"orders-{status or 'all'}-{utcnow():%Y%m%d}", sheet_title=_("Orders"),
                 header=[_("Order"), _("Date"), _("Recipient"), _("Phone"), _("Address"), _("Email"), _("Prize"),
                         _("Quantity")], rows=rows(), total=total)


@export_builder("prize-tax")
def tax_register_table(params: dict) -> Table:
    """params: year."""
    year = int(params["year"])
    register = services.tax_register(year)
    rows = ((r["user"].full_name, r["user"].email, r["profile"].personal_inn if r["profile"] else "",
             r["total"] / 100, r["excess"] / 100, r["tax"] / 100) for r in register)
    return Table(filename=f"prize-tax-{year}", sheet_title=_("Prize tax %(year)s", year=year),
                 header=[_("Participant"), _("Email"), _("Personal INN"), _("Prizes in the year, RUB"),
                         _("Taxable excess, RUB"), _("Tax, RUB")], rows=rows, total=len(register))
