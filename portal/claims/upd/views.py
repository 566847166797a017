"""Pages of UPD claims: "Fill from a UPD" on the claim form, and the partner admin's list of the company's
articles mapped to catalogue products. A blueprint nested in claims' (endpoints `claims.upd.*`)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.models import PARTNER_ADMIN, PARTNER_ROLES
from portal.claims.forms import ArticleForm, UpdFileForm
from portal.claims.models import ArticleMapping
from portal.claims.scans import PENDING_SCAN, store_scan
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.tokens import make_token
from portal.extensions import db
from portal.leads.forms import claim_lead_choices

from . import importing, mapping, prefill
from .reader import MAX_UPD_BYTES

bp = Blueprint("upd", __name__)


@bp.post("/claims/new/upd")
@roles_required(*PARTNER_ROLES)
def fill():
    """The claim form filled from a UPD file; the file is stored as the sale's scan."""
    upd_form = UpdFileForm()
    if not upd_form.validate_on_submit():
        flash(_("Choose the UPD file (XML)."), "danger")
        return redirect(url_for("claims.edit"))
    upload = upd_form.file.data
    content = upload.read(MAX_UPD_BYTES + 1)
    try:
        draft = importing.read_for_claim(current_user, content)
        scan = store_scan(upload.filename or "upd.xml", content)
    except DomainError as exc:
        db.session.rollback()
        flash(_("The UPD cannot be used: %(reason)s", reason=exc.message), "danger")
        return redirect(url_for("claims.edit"))
    form = prefill.form_from_upd(draft, current_user)
    form.pending_scan.data = make_token(PENDING_SCAN, {"user": current_user.id, "scan": list(scan)})
    form.lead_id.choices = claim_lead_choices(current_user)
    if draft.unmapped:
        flash(importing.unmapped_message(draft), "warning")
    else:
        flash(_("Filled from UPD %(number)s: check the lines and submit.", number=draft.document.number), "info")
    return render_template("claims/form.html", form=form, claim=None, kept_scan=scan[1], upd_form=UpdFileForm(),
                           from_upd=True)


@bp.get("/team/upd-articles")
@roles_required(PARTNER_ADMIN)
def articles():
    items = mapping.company_mappings(current_user.company_id)
    forms = {item.id: ArticleForm(prefix=f"m{item.id}", data={"product": importing.product_label(item.product)})
             for item in items}
    return render_template("claims/upd_articles.html", items=items, forms=forms)


def _own_mapping(mapping_id: int) -> ArticleMapping:
    item = db.get_or_404(ArticleMapping, mapping_id)
    if item.company_id != current_user.company_id:
        abort(404)  # another company's article does not exist for this admin
    return item


@bp.post("/team/upd-articles/<int:mapping_id>")
@roles_required(PARTNER_ADMIN)
def change_article(mapping_id):
    item = _own_mapping(mapping_id)
    form = ArticleForm(prefix=f"m{item.id}")
    try:
        if not form.validate_on_submit():
            raise DomainError(_("Choose a product from the catalogue."))
        mapping.change_mapping(item, current_user, form.product.data)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(_("Article %(article)s now means %(product)s.", article=item.article, product=item.product.name),
              "success")
    return redirect(url_for("claims.upd.articles"))


@bp.post("/team/upd-articles/<int:mapping_id>/delete")
@roles_required(PARTNER_ADMIN)
def delete_article(mapping_id):
    item = _own_mapping(mapping_id)
    try:
        mapping.delete_mapping(item, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(_("The article is deleted: the next UPD naming it asks for the product again."), "info")
    return redirect(url_for("claims.upd.articles"))
