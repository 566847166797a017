"""Pages: API keys (partner admins for their company, the program team program-wide) and the sales import."""

import secrets
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.auth.models import PARTNER_ADMIN, STAFF_ROLES
from portal.core import imports
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.forms import show_error
from portal.core.pagination import paginate
from portal.extensions import db
from portal.partners.models import APPROVED, PartnerCompany

from . import sales_import, services
from .forms import ConfirmSalesImportForm, KeyForm, RevokeForm, SalesImportForm
from .models import COMPANY_SCOPES, PRESETS, PROGRAM_SCOPES, ApiKey
from .submissions import awaiting_scan

bp = Blueprint("integrations", __name__, template_folder="templates")
ROLES = (PARTNER_ADMIN, *STAFF_ROLES)
REPORT_ROWS = 1000  # the report lists the first rows with errors; the totals count them all


def _scopes() -> dict:
    return PROGRAM_SCOPES if current_user.role in STAFF_ROLES else COMPANY_SCOPES


def _presets() -> dict:
    """The ready-made sets for this person's kind of key, with only the scopes such a key may have."""
    allowed = _scopes()
    presets = {name: (label, tuple(s for s in scopes if s in allowed)) for name, (label, scopes) in PRESETS.items()}
    return {name: preset for name, preset in presets.items() if preset[1]}


def _key_form(**kwargs) -> KeyForm:
    form = KeyForm(**kwargs)
    form.scopes.choices = [(scope, label) for scope, label in _scopes().items()]
    form.preset.choices = [("", _("None"))] + [(name, label) for name, (label, _s) in _presets().items()]
    return form


@bp.route("/integrations", methods=["GET", "POST"])
@roles_required(*ROLES)
def keys():
    form = _key_form()
    new_token = None
    if form.validate_on_submit():
        try:
            created = services.create_key(current_user, form.name.data, form.chosen_scopes(_presets()))
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            new_token = created.token  # shown once, in this response only: never flashed into the cookie
            form = _key_form(formdata=None)  # the key is shown once; the form starts empty for the next one
    return render_template("api/keys.html", form=form, page=paginate(services.keys_for(current_user)),
                           new_token=new_token, scope_labels={**COMPANY_SCOPES, **PROGRAM_SCOPES},
                           presets=_presets(), revoke_form=RevokeForm())


@bp.post("/integrations/keys/<int:key_id>/revoke")
@roles_required(*ROLES)
def revoke(key_id):
    key = db.session.get(ApiKey, key_id) if key_id < 2**31 else None
    if key is None or not services.can_manage(current_user, key):
        abort(404)
    if RevokeForm().validate_on_submit():
        services.revoke_key(current_user, key)
        db.session.commit()
        flash(_("The key %(prefix)s… is revoked: it stops working at once.", prefix=key.prefix), "success")
    return redirect(url_for("integrations.keys"))


# --- the sales import ------------------------------------------------------------------------------


def _companies():
    return db.session.scalars(select(PartnerCompany).where(PartnerCompany.status == APPROVED)
                              .order_by(PartnerCompany.name)).all()


def _import_form() -> SalesImportForm:
    form = SalesImportForm()
    if current_user.role in STAFF_ROLES:
        form.company.choices = [(c.id, c.name) for c in _companies()]
    else:
        del form.company
    return form


def _company_id(form) -> int | None:
    if current_user.role not in STAFF_ROLES:
        return current_user.company_id
    chosen = form.company.data
    return chosen if chosen in {c for c, _label in form.company.choices} else None


def _upload_path(token: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "imports" / Path(token).name


def _token_parts(token: str) -> tuple[int, Path] | None:
    """The company of an uploaded file kept for confirmation, if this person uploaded it."""
    parts = (token or "").split("-")
    if len(parts) != 4 or parts[0] != "sales" or parts[1] != str(current_user.id) or not parts[2].isdigit():
        return None
    path = _upload_path(token)
    return (int(parts[2]), path) if path.exists() else None


@bp.route("/integrations/import", methods=["GET", "POST"])
@roles_required(*ROLES)
def sales_import_page():
    form = _import_form()
    if form.validate_on_submit():
        company_id = _company_id(form)
        upload = form.file.data
        content = upload.read()
        filename = upload.filename or ""
        try:
            if company_id is None:
                raise DomainError(_("Choose the partner company."), field="company")
            report = sales_import.check_file(filename, content, company_id)
        except DomainError as exc:
            show_error(form, exc)
        else:
            extension = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
            token = f"sales-{current_user.id}-{company_id}-{secrets.token_hex(12)}{extension}"
            path = _upload_path(token)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            return _report(form, report, token)
    return render_template("api/import.html", form=form, report=None, awaiting=_awaiting())


def _awaiting():
    """The drafts from the API and imports still waiting for their scans: the company's, or all for staff."""
    items, total = awaiting_scan(None if current_user.role in STAFF_ROLES else current_user.company_id)
    return {"items": items, "total": total, "staff": current_user.role in STAFF_ROLES}


def _report(form, report, token):
    shown = [row for row in report.rows if row.errors or (row.group and row.group.errors)][:REPORT_ROWS]
    return render_template("api/import.html", form=form, report=report, shown=shown, limit=REPORT_ROWS,
                           confirm_form=ConfirmSalesImportForm(token=token, plan=report.plan),
                           awaiting=_awaiting())


@bp.post("/integrations/import/confirm")
@roles_required(*ROLES)
def confirm_sales_import():
    form = ConfirmSalesImportForm()
    found = _token_parts(form.token.data) if form.validate_on_submit() else None
    if found is None:
        flash(_("The uploaded file has expired: upload it again."), "warning")
        return redirect(url_for("integrations.sales_import_page"))
    company_id, path = found
    try:
        report, made = sales_import.import_file(path.name, path.read_bytes(), company_id,
                                                 plan=form.plan.data or "")
    except DomainError as exc:
        db.session.rollback()
        flash(_("Nothing was imported: %(reason)s", reason=exc.message), "danger")
        return redirect(url_for("integrations.sales_import_page"))
    try:
        db.session.commit()
    except IntegrityError:  # the same file confirmed twice at once: the other confirmation made the claims
        db.session.rollback()
        flash(_("Nothing was imported: these invoices were imported meanwhile."), "warning")
        return redirect(url_for("integrations.sales_import_page"))
    path.unlink(missing_ok=True)
    flash(ngettext("%(num)s claim made from the file; it waits for its scan in My sales of its seller.",
                   "%(num)s claims made from the file; they wait for their scans in My sales of their sellers.",
                   made), "success")
    return redirect(url_for("integrations.sales_import_page"))


@bp.get("/integrations/import/template.<fmt>")
@roles_required(*ROLES)
def sales_import_template(fmt):
    """The columns the sales import reads, as an empty table to fill in."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    header = sales_import.TEMPLATE_HEADERS["ru" if str(get_locale()) == "ru" else "en"]
    return imports.table_response(fmt, "sales-import", header, [], _("Sales"))
