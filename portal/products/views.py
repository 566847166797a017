import secrets
from pathlib import Path

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from portal.auth.models import STAFF_ROLES
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
                                form.cost.kopecks, form.active.data)


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


def _import_path(token: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "imports" / Path(token).name


@bp.route("/console/products/import", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def import_products():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read()
        try:
            rows = services.check_import(services.read_rows(upload.filename or "", content))
        except DomainError as exc:
            show_error(form, exc)
            return render_template("products/import.html", form=form, rows=None)
        valid = [row for row in rows if row.data is not None]
        if valid and len(valid) == len(rows):
            created, updated = services.apply_import(rows)
            db.session.commit()
            flash(_("Imported: %(created)s new, %(updated)s updated.", created=created, updated=updated), "success")
            return redirect(url_for("products.index"))
        # Some rows are wrong: nothing is written until the manager confirms the valid ones.
        token = secrets.token_hex(12) + (".xlsx" if (upload.filename or "").lower().endswith(".xlsx") else ".csv")
        path = _import_path(token)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return render_template("products/import.html", form=form, rows=rows, valid=len(valid),
                               confirm_form=ConfirmImportForm(token=token))
    return render_template("products/import.html", form=form, rows=None)


@bp.post("/console/products/import/confirm")
@roles_required(*STAFF_ROLES)
def confirm_import():
    form = ConfirmImportForm()
    path = _import_path(form.token.data or "")
    if not form.validate_on_submit() or not form.token.data or not path.exists():
        flash(_("The uploaded file has expired: upload it again."), "warning")
        return redirect(url_for("products.import_products"))
    rows = services.check_import(services.read_rows(path.name, path.read_bytes()))
    created, updated = services.apply_import(rows)
    db.session.commit()
    path.unlink(missing_ok=True)
    skipped = sum(1 for row in rows if row.data is None)
    flash(_("Imported: %(created)s new, %(updated)s updated; %(skipped)s rows skipped.", created=created,
            updated=updated, skipped=skipped), "success")
    return redirect(url_for("products.index"))


@bp.get("/products/search")
@login_required
def search():
    """Products as you type, for the claim form: active ones only."""
    query = services.search_products(request.args.get("q", ""), active="yes").limit(15)
    return jsonify([
        {"sku": p.sku, "name": p.name, "category": p.category, "price": p.list_price_kopecks}
        for p in db.session.scalars(query)
    ])
