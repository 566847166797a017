"""The shop's pages for participants: catalogue, cart, checkout, card payment, tax details, their orders."""


from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from portal.auth.models import PARTNER_ROLES, STAFF_ROLES
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.fields import db_int
from portal.core.formatting import rub
from portal.core.forms import show_error
from portal.core.pagination import paginate
from portal.core.person_cache import cached_page
from portal.core.time import today
from portal.core.uploads import send_reencoded_image
from portal.extensions import db
from portal.payments.messages import card_texts
from portal.payments.services import payment_for
from portal.shop import services
from portal.shop.forms import CancelForm, CheckoutForm, ShipForm, TaxForm
from portal.shop.images import image_file
from portal.shop.models import (
    AWAITING_PAYMENT,
    STATUS_LABELS,
    CartItem,
    Order,
    OrderLine,
    Prize,
)
from portal.shop.notifications import send_order_update
from portal.shop.views.blueprint import bp


@bp.get("/shop")
@roles_required(*PARTNER_ROLES, *STAFF_ROLES)
def index():
    """The catalogue is rendered once per change of what it shows (the person's audience, points or cart; a
    prize, its stock or a category) and query string, then served from the per-person cache
    (portal/core/person_cache.py)."""

    def render():
        args = request.args
        query = services.catalogue(current_user, q=args.get("q", ""), category_id=args.get("category", type=db_int),
                                   max_points=args.get("max", type=db_int), affordable=args.get("affordable") == "1",
                                   sort=args.get("sort", ""))
        return render_template("shop/_catalogue.html", page=paginate(query), categories=services.prize_categories(),
                               cart_count=sum(i.quantity for i in services.cart_of(current_user)))

    catalogue = cached_page(current_user.id, render, "shop")
    return render_template("shop/index.html", catalogue=catalogue)


@bp.get("/shop/prizes/<int:prize_id>")
@roles_required(*PARTNER_ROLES, *STAFF_ROLES)
def prize(prize_id):
    prize = db.get_or_404(Prize, prize_id, options=[joinedload(Prize.category)])
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
    form = CheckoutForm(data=services.checkout_form_data(current_user) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            order = services.check_out(
                current_user, request_token=form.request_token.data, pay_rest_by_card=request.form.get(
                    "pay_rest_by_card") == "1",
                delivery=services.Delivery(form.address.data or "", form.phone.data or "", form.email.data or ""),
                plan=plan)
        except services.CartEmpty:  # another tab or window ordered the cart meanwhile
            db.session.rollback()
            flash(_("Your cart changed while you were ordering and is empty now. If you ordered from another "
                    "tab or window, the order is in My orders."), "warning")
            return redirect(url_for("shop.orders"))
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
            if exc.field == "tax":
                return redirect(url_for("shop.tax_details", next="checkout"))
            plan = services.summary(current_user)
        else:
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
    # What the page lists, loaded here: lines with their prizes, and events, in two reads rather than per row.
    order = db.get_or_404(Order, order_id, options=[selectinload(Order.lines).joinedload(OrderLine.prize),
                                                    selectinload(Order.events)])
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
