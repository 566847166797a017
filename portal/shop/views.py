import secrets

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.auth.models import PARTNER_ROLES, STAFF_ROLES
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.exports import export_response
from portal.core.fields import as_id, db_int
from portal.core.formatting import rub
from portal.core.forms import show_error
from portal.core.pagination import paginate
from portal.core.phones import format_phone
from portal.core.time import today
from portal.core.uploads import send_reencoded_image
from portal.extensions import db
from portal.payments.messages import card_texts
from portal.payments.services import payment_for
from portal.shop import exports as _exports  # noqa: F401 - registers the order and tax exports
from portal.shop import services
from portal.shop.forms import CancelForm, CheckoutForm, PrizeForm, ShipForm, StockForm, TaxForm
from portal.shop.images import image_file, store_image
from portal.shop.models import (
    APPROVED,
    AWAITING_PAYMENT,
    STATUS_LABELS,
    CartItem,
    Order,
    Prize,
    PrizeCategory,
    StockMovement,
)
from portal.shop.notifications import send_order_update

bp = Blueprint("shop", __name__, template_folder="templates")





# --- participant ---------------------------------------------------------------------------------


@bp.get("/shop")
@roles_required(*PARTNER_ROLES, *STAFF_ROLES)
def index():
    args = request.args
    query = services.catalogue(current_user, q=args.get("q", ""), category_id=args.get("category", type=db_int),
                               max_points=args.get("max", type=db_int), affordable=args.get("affordable") == "1",
                               sort=args.get("sort", ""))
    categories = db.session.scalars(select(PrizeCategory).order_by(PrizeCategory.position, PrizeCategory.name)).all()
    return render_template("shop/index.html", page=paginate(query), categories=categories,
                           cart_count=sum(i.quantity for i in services.cart_of(current_user)))


@bp.get("/shop/prizes/<int:prize_id>")
@roles_required(*PARTNER_ROLES, *STAFF_ROLES)
def prize(prize_id):
    prize = db.get_or_404(Prize, prize_id)
    if not services.available_to(current_user, prize):
        abort(404)
    return render_template("shop/prize.html", prize=prize, value=services.prize_value(prize))


@bp.get("/shop/images/<path:name>")
@login_required
def image(name):
    path = image_file(name)
    if not path.exists():
        abort(404)
    return send_reencoded_image(path)


@bp.post("/shop/cart")
@roles_required(*PARTNER_ROLES)
def add_to_cart():
    prize = db.get_or_404(Prize, request.form.get("prize_id", 0, type=db_int))
    try:
        services.add_to_cart(current_user, prize, request.form.get("quantity", 1, type=db_int) or 1)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "warning")
        return redirect(url_for("shop.prize", prize_id=prize.id))
    db.session.commit()
    flash(_("%(prize)s is in your cart.", prize=prize.name), "success")
    return redirect(url_for("shop.index") if request.form.get("back") == "catalogue" else url_for("shop.cart"))


@bp.route("/shop/cart", methods=["GET"])
@roles_required(*PARTNER_ROLES)
def cart():
    return render_template("shop/cart.html", plan=services.summary(current_user))


@bp.post("/shop/cart/<int:item_id>")
@roles_required(*PARTNER_ROLES)
def update_cart(item_id):
    item = db.get_or_404(CartItem, item_id)
    if item.user_id != current_user.id:
        abort(404)
    try:
        services.set_quantity(current_user, item, request.form.get("quantity", 0, type=db_int) or 0)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "warning")
    else:
        db.session.commit()
    return redirect(url_for("shop.cart"))


@bp.route("/shop/checkout", methods=["GET", "POST"])
@roles_required(*PARTNER_ROLES)
def checkout():
    services.release_abandoned_checkouts()
    plan = services.summary(current_user)
    if not plan.items:
        flash(_("Your cart is empty."), "info")
        return redirect(url_for("shop.index"))
    form = CheckoutForm()
    if request.method == "GET":
        profile = services.delivery_profile(current_user)
        form.request_token.data = secrets.token_urlsafe(24)
        form.address.data = profile.address if profile else ""
        form.phone.data = format_phone(profile.phone if profile and profile.phone else current_user.phone)
        form.email.data = profile.email if profile and profile.email else current_user.email
    if form.validate_on_submit():
        delivery = services.Delivery(form.address.data or "", form.phone.data or "", form.email.data or "")
        try:
            order = services.place_order(current_user, request_token=form.request_token.data, delivery=delivery,
                                         pay_rest_by_card=request.form.get("pay_rest_by_card") == "1")
        except DomainError as exc:
            db.session.rollback()
            # Read the cart again: another tab may have ordered it meanwhile (then it is empty now).
            plan = services.summary(current_user)
            if not plan.items:
                flash(_("Your cart changed while you were ordering and is empty now. If you ordered from another "
                        "tab or window, the order is in My orders."), "warning")
                return redirect(url_for("shop.orders"))
            show_error(form, exc)
            if exc.field == "tax":
                return redirect(url_for("shop.tax_details", next="checkout"))
        else:
            if order.status != AWAITING_PAYMENT:
                send_order_update(order)
            db.session.commit()
            if order.status == AWAITING_PAYMENT:
                return redirect(url_for("shop.pay", order_id=order.id))
            flash(_("Order #%(id)s is placed.", id=order.id), "success")
            return redirect(url_for("shop.order", order_id=order.id))
    return render_template("shop/checkout.html", plan=plan, form=form)


def _own_order(order_id: int) -> Order:
    order = db.get_or_404(Order, order_id)
    if order.user_id != current_user.id:
        abort(404)
    return order


@bp.get("/shop/orders/<int:order_id>/pay")
@roles_required(*PARTNER_ROLES)
def pay(order_id):
    services.release_abandoned_checkouts()
    order = _own_order(order_id)
    if order.status != AWAITING_PAYMENT:
        return redirect(url_for("shop.order", order_id=order.id))
    return render_template("shop/pay.html", order=order, texts=card_texts(),
                           deadline=services.payment_deadline(order))


@bp.post("/shop/orders/<int:order_id>/pay")
@roles_required(*PARTNER_ROLES)
def charge(order_id):
    """The browser sends the card token from Stripe.js; the answer says whether 3-D Secure is needed."""
    order = _own_order(order_id)
    token = (request.get_json(silent=True) or {}).get("token", "")
    try:
        status = services.pay_order(order, current_user, token)
    except DomainError as exc:
        # Kept: a declined attempt stays in the order's history (the order waits for another card), and a payment
        # window that is over has cancelled the order and released its points and stock.
        db.session.commit()
        return jsonify(error=str(exc.message), status=order.status), 402
    db.session.commit()
    payment = payment_for(order.id)
    return jsonify(status=status, client_secret=payment.client_secret if payment else None)


@bp.get("/shop/orders/<int:order_id>/state")
@roles_required(*PARTNER_ROLES)
def order_state(order_id):
    services.release_abandoned_checkouts()
    order = _own_order(order_id)
    return jsonify(status=order.status, label=order.status_label)


@bp.route("/shop/tax-details", methods=["GET", "POST"])
@roles_required(*PARTNER_ROLES)
def tax_details():
    profile = services.summary(current_user).tax_profile
    form = TaxForm(obj=profile)
    if form.validate_on_submit():
        try:
            services.save_tax_profile(current_user, personal_inn=form.personal_inn.data, passport=form.passport.data,
                                      registration_address=form.registration_address.data)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your tax details are saved."), "success")
            return redirect(url_for("shop.checkout") if request.args.get("next") == "checkout"
                            else url_for("shop.orders"))
    return render_template("shop/tax.html", form=form)


@bp.get("/shop/orders")
@roles_required(*PARTNER_ROLES)
def orders():
    services.release_abandoned_checkouts()
    query = services.orders_query(user_id=current_user.id, status=request.args.get("status", ""))
    return render_template("shop/orders.html", page=paginate(query), status_labels=STATUS_LABELS,
                           year_total=services.yearly_prize_total(current_user.id, today().year))


@bp.get("/shop/orders/<int:order_id>")
@roles_required(*PARTNER_ROLES, *STAFF_ROLES)
def order(order_id):
    services.release_abandoned_checkouts()
    order = db.get_or_404(Order, order_id)
    staff = current_user.role in STAFF_ROLES
    if not staff and order.user_id != current_user.id:
        abort(404)
    return render_template("shop/order.html", order=order, staff=staff, cancel_form=CancelForm(),
                           ship_form=ShipForm(), refund=services.card_refunded(order),
                           deadline=services.payment_deadline(order) if order.status == AWAITING_PAYMENT else None)


@bp.post("/shop/orders/<int:order_id>/cancel")
@roles_required(*PARTNER_ROLES, *STAFF_ROLES)
def cancel(order_id):
    order = db.get_or_404(Order, order_id)
    if current_user.role not in STAFF_ROLES and order.user_id != current_user.id:
        abort(404)
    form = CancelForm()
    try:
        services.cancel_order(order, current_user, form.reason.data or "")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        send_order_update(order)
        db.session.commit()
        if order.user_id != current_user.id:
            flash(_("Order #%(id)s is cancelled.", id=order.id), "info")
        elif services.card_refunded(order):
            flash(_("Order #%(id)s is cancelled; the points are back on your account and %(amount)s is refunded to "
                    "your card: banks usually show it within 5 to 10 working days. We have sent you an email.",
                    id=order.id, amount=rub(order.card_kopecks)), "info")
        else:
            flash(_("Order #%(id)s is cancelled; the points are back on your account.", id=order.id), "info")
    return redirect(url_for("shop.order", order_id=order.id))


# --- program manager -----------------------------------------------------------------------------


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
    categories = db.session.scalars(select(PrizeCategory).order_by(PrizeCategory.position, PrizeCategory.name)).all()
    return render_template("shop/prizes.html", page=paginate(query), categories=categories)


@bp.route("/console/prizes/new", methods=["GET", "POST"])
@bp.route("/console/prizes/<int:prize_id>", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def edit_prize(prize_id=None):
    prize = db.get_or_404(Prize, prize_id) if prize_id else None
    # Only the page's first view is filled from the prize: a submitted form, even one with fields missing,
    # is read from what was sent (the prize's category is an object, not the text the field holds).
    form = PrizeForm(obj=prize if request.method == "GET" else None)
    if request.method == "GET" and prize is not None:
        form.category.data = prize.category.name
        form.category_en.data = prize.category.name_en or ""
        form.value.data = f"{prize.value_kopecks / 100:.2f}".replace(".", ",") if prize.value_kopecks else ""
        form.audience.data = prize.audience or ""
    if form.validate_on_submit():
        try:
            images = None
            if form.image.data and getattr(form.image.data, "filename", ""):
                images = store_image(form.image.data.read())
            prize = services.save_prize(
                prize, name=form.name.data, category=form.category.data, description=form.description.data or "",
                price_points=form.price_points.data, value_kopecks=form.value.kopecks, stock=form.stock.data,
                electronic=form.electronic.data, audience=form.audience.data or None, active=form.active.data,
                images=images, actor=current_user, name_en=form.name_en.data, description_en=form.description_en.data,
                category_en=form.category_en.data)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The prize is saved."), "success")
            return redirect(url_for("shop.edit_prize", prize_id=prize.id))
    movements = None
    if prize is not None:
        movements = paginate(select(StockMovement).where(StockMovement.prize_id == prize.id)
                             .order_by(StockMovement.id.desc()))
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


