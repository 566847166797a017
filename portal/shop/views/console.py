"""The shop's console for the program team: fulfilling orders, prizes and stock, the prize tax register."""


from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from portal.auth.models import STAFF_ROLES
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.exports import export_response
from portal.core.fields import as_id, db_int
from portal.core.forms import show_error
from portal.core.pagination import paginate
from portal.core.time import today
from portal.extensions import db
from portal.shop import exports as _exports  # noqa: F401 - registers the order and tax exports
from portal.shop import services
from portal.shop.forms import PrizeForm, ShipForm, StockForm
from portal.shop.models import (
    APPROVED,
    STATUS_LABELS,
    Order,
    Prize,
)
from portal.shop.notifications import send_order_update
from portal.shop.views.blueprint import bp


@bp.get("/console/orders")
@roles_required(*STAFF_ROLES)
def fulfilment():
    services.release_abandoned_checkouts()
    args = request.args
    query = services.orders_query(status=args.get("status", ""), q=args.get("q", ""))
    return render_template("shop/fulfilment.html", page=paginate(query), status_labels=STATUS_LABELS,
                           ship_form=ShipForm())


@bp.post("/console/orders/bulk")
@roles_required(*STAFF_ROLES)
def bulk():
    ids = [i for i in map(as_id, request.form.getlist("order_ids")) if i]
    action = request.form.get("action")
    actions = {
        "approve": lambda o: services.approve_order(o, current_user),
        "ship": lambda o: services.ship_order(o, current_user, ""),
        "deliver": lambda o: services.deliver_order(o, current_user),
    }
    if not ids or action not in actions:
        flash(_("Tick the orders and choose what to do."), "warning")
        return redirect(url_for("shop.fulfilment"))
    done, refused = [], []
    for order in db.session.scalars(select(Order).where(Order.id.in_(ids)).order_by(Order.id)).all():
        try:
            actions[action](order)
            send_order_update(order)
            db.session.commit()
            done.append(order)
        except DomainError as exc:
            db.session.rollback()
            refused.append(str(exc.message))
    if done:
        flash(ngettext("%(num)s order updated.", "%(num)s orders updated.", len(done)), "success")
    for message in refused:
        flash(message, "danger")
    return redirect(url_for("shop.fulfilment", status=request.form.get("status", "")))


@bp.post("/console/orders/<int:order_id>/<any(approve, ship, deliver):action>")
@roles_required(*STAFF_ROLES)
def act(order_id, action):
    order = db.get_or_404(Order, order_id)
    try:
        if action == "approve":
            services.approve_order(order, current_user)
        elif action == "ship":
            services.ship_order(order, current_user, ShipForm().tracking_number.data or "")
        else:
            services.deliver_order(order, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        send_order_update(order)
        db.session.commit()
        flash(_("Order #%(id)s: %(status)s.", id=order.id, status=order.status_label), "success")
    return redirect(url_for("shop.order", order_id=order.id))


@bp.get("/console/orders/export.<any(csv, xlsx):fmt>")
@roles_required(*STAFF_ROLES)
def export_orders(fmt):
    """Orders to ship, for the supplier: approved ones unless a status is asked for."""
    status = request.args.get("status", APPROVED)
    return export_response("shop-orders", {"status": status if status in STATUS_LABELS else APPROVED}, fmt)


@bp.get("/console/prizes")
@roles_required(*STAFF_ROLES)
def prizes():
    args = request.args
    category = args.get("category", type=int)
    query = services.prizes_query(args.get("q", "")[:200], category if category and 0 < category < 2**31 else None)
    return render_template("shop/prizes.html", page=paginate(query), categories=services.prize_categories())


@bp.route("/console/prizes/new", methods=["GET", "POST"])
@bp.route("/console/prizes/<int:prize_id>", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def edit_prize(prize_id=None):
    prize = db.get_or_404(Prize, prize_id) if prize_id else None
    # Only the page's first view is filled from the prize: a submitted form, even one with fields missing,
    # is read from what was sent.
    form = PrizeForm(data=services.prize_form_data(prize) if request.method == "GET" and prize else None)
    if form.validate_on_submit():
        photo = form.image.data.read() if getattr(form.image.data, "filename", "") else None
        try:
            prize = services.save_prize(
                prize, name=form.name.data, category=form.category.data, description=form.description.data or "",
                price_points=form.price_points.data, value_kopecks=form.value.kopecks, stock=form.stock.data,
                electronic=form.electronic.data, audience=form.audience.data or None, active=form.active.data,
                images=None, photo=photo, actor=current_user, name_en=form.name_en.data,
                description_en=form.description_en.data, category_en=form.category_en.data)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The prize is saved."), "success")
            return redirect(url_for("shop.edit_prize", prize_id=prize.id))
    movements = paginate(services.stock_movements_query(prize)) if prize is not None else None
    return render_template("shop/prize_form.html", form=form, prize=prize, stock_form=StockForm(),
                           movements=movements)


@bp.post("/console/prizes/<int:prize_id>/stock")
@roles_required(*STAFF_ROLES)
def stock(prize_id):
    prize = db.get_or_404(Prize, prize_id)
    form = StockForm()
    if form.validate_on_submit():
        try:
            services.adjust_stock(prize, form.delta.data, form.reason.data, current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("The stock is now %(n)s.", n=prize.stock), "success")
    else:
        flash(_("Give the change and the reason."), "danger")
    return redirect(url_for("shop.edit_prize", prize_id=prize.id))


@bp.get("/console/prize-tax")
@roles_required(*STAFF_ROLES)
def tax_register():
    year = _year_arg()
    page = paginate(services.tax_register_query(year, request.args.get("q", "")[:200]))
    return render_template("shop/tax_register.html", page=page, rows=services.tax_register(year, page.items),
                           year=year, years=range(today().year, today().year - 4, -1))


def _year_arg() -> int:
    year = request.args.get("year", today().year, type=db_int)
    return year if 2000 <= year <= 2100 else today().year


@bp.get("/console/prize-tax.xlsx")
@roles_required(*STAFF_ROLES)
def tax_register_export():
    year = _year_arg()
    return export_response("prize-tax", {"year": year}, "xlsx")
