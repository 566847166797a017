from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth.models import STAFF_ROLES
from portal.core import imports
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.formatting import money_input
from portal.core.forms import show_error
from portal.core.pagination import paginate
from portal.extensions import db
from portal.products import services
from portal.products.forms import ConfirmImportForm, ImportForm, ProductForm
from portal.products.models import Product

bp = Blueprint("products", __name__, template_folder="templates")


def _data(form: ProductForm) -> services.ProductData:
    return services.ProductData(form.sku.data, form.name.data, form.category.data, form.list_price.kopecks,
                                form.cost.kopecks, form.active.data, form.name_en.data or "")


@bp.get("/console/products")
@roles_required(*STAFF_ROLES)
def index():
    args = request.args
    query = services.search_products(args.get("q", ""), args.get("category", ""), args.get("active", ""))
    return render_template("products/index.html", page=paginate(query), categories=services.categories())


@bp.route("/console/products/new", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def new():
    form = ProductForm()
    if form.validate_on_submit():
        try:
            services.save_product(_data(form))
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The product is added."), "success")
            return redirect(url_for("products.index"))
    return render_template("products/form.html", form=form, product=None, categories=services.categories())


@bp.route("/console/products/<int:product_id>", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def edit(product_id):
    product = db.get_or_404(Product, product_id)
    form = ProductForm(obj=product)
    if request.method == "GET":
        form.list_price.data = money_input(product.list_price_kopecks)
        form.cost.data = money_input(product.cost_kopecks)
    if form.validate_on_submit():
        try:
            services.save_product(_data(form), product)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The product is saved."), "success")
            return redirect(url_for("products.index"))
    return render_template("products/form.html", form=form, product=product, categories=services.categories())


@bp.route("/console/products/import", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def import_products():
    """Upload: every row checked and shown with what it will change; nothing is written before confirmation."""
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read()
        try:
            rows = services.check_import(services.read_rows(upload.filename or "", content))
        except DomainError as exc:
            show_error(form, exc)
            return render_template("products/import.html", form=form, rows=None)
        ok = bool(rows) and all(row.data is not None for row in rows)
        confirm = ConfirmImportForm(token=imports.stash_upload(upload.filename or "", content, current_user.id)) \
            if ok else None
        return render_template("products/import.html", form=form, rows=rows, ok=ok, confirm_form=confirm,
                               created=sum(1 for r in rows if r.data and not r.exists),
                               updated=sum(1 for r in rows if r.changed))
    return render_template("products/import.html", form=form, rows=None)


@bp.post("/console/products/import/confirm")
@roles_required(*STAFF_ROLES)
def confirm_import():
    """Confirm: the previewed file is read again and written whole, or not at all."""
    form = ConfirmImportForm()
    stashed = imports.stashed_upload(form.token.data or "", current_user.id) if form.validate_on_submit() else None
    if stashed is None:
        flash(_("The uploaded file has expired: upload it again."), "warning")
        return redirect(url_for("products.import_products"))
    try:
        created, updated = services.apply_import(services.check_import(services.read_rows(*stashed)))
    except DomainError as exc:
        db.session.rollback()
        flash(_("Nothing was imported: %(reason)s", reason=exc.message), "danger")
        return redirect(url_for("products.import_products"))
    db.session.commit()
    imports.drop_stash(form.token.data)
    flash(_("Imported: %(created)s new, %(updated)s updated.", created=created, updated=updated), "success")
    return redirect(url_for("products.index"))


@bp.get("/console/products/import/template.<fmt>")
@roles_required(*STAFF_ROLES)
def import_template(fmt):
    """The catalogue in the import's layout: a template to fill in that also re-imports unchanged."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    header, rows = services.catalogue_table()
    return imports.table_response(fmt, "products", header, rows, _("Products"))


@bp.get("/products/search")
@login_required
def search():
    """Products as you type, for the claim form: active ones only."""
    query = services.search_products(request.args.get("q", ""), active="yes").limit(15)
    return jsonify([
        {"sku": p.sku, "name": p.display_name, "category": p.category, "price": p.list_price_kopecks}
        for p in db.session.scalars(query)
    ])
