"""The KPI plan's import (preview, then confirm) and its export in the same layout, which is also the template."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.models import STAFF_ROLES
from portal.core import imports as frame
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.forms import show_error
from portal.extensions import db
from portal.kpi import imports, plan, stages
from portal.kpi.blueprint import bp, scope_args
from portal.kpi.forms import ConfirmPlanImportForm, ImportPlanForm
from portal.kpi.plan_table import table_of_plan


def _render(form, report=None, confirm=None, scope=("program", "")):
    return render_template("kpi/import.html", form=form, report=report, confirm_form=confirm,
                           scope_kind=scope[0], scope_key=scope[1], scope_name=plan.scope_name(*scope),
                           shown_value=imports.shown_value)


@bp.route("/kpi/plan/import", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def plan_import():
    """Upload: the file is read and checked and the preview shows what it will change; nothing is written."""
    scope = scope_args()
    form = ImportPlanForm()
    if not form.validate_on_submit():
        return _render(form, scope=scope)
    upload = form.file.data
    content = upload.read(frame.MAX_BYTES + 1)
    try:
        report = imports.check_import(upload.filename or "", content, scope)
    except DomainError as error:
        show_error(form, error)
        return _render(form, scope=scope)
    confirm = None
    if report.ok:
        confirm = ConfirmPlanImportForm(token=frame.stash_upload(upload.filename or "", content, current_user.id))
    else:
        flash(_("Nothing can be imported yet: correct the rows below and upload the file again."), "danger")
    return _render(form, report, confirm, scope)


@bp.post("/kpi/plan/import/confirm")
@roles_required(*STAFF_ROLES)
def plan_import_confirm():
    """Confirm: the previewed file is read again and written whole, or not at all."""
    scope = scope_args()
    form = ConfirmPlanImportForm()
    stashed = frame.stashed_upload(form.token.data or "", current_user.id) if form.validate_on_submit() else None
    if stashed is None:
        flash(_("The uploaded file has expired: upload it again."), "warning")
        return redirect(url_for("kpi.plan_import", scope=scope[0], key=scope[1]))
    try:
        report = imports.check_import(*stashed, scope)
        written = imports.apply_import(report, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(_("Nothing was imported: %(reason)s", reason=error.message), "danger")
        return redirect(url_for("kpi.plan_import", scope=scope[0], key=scope[1]))
    db.session.commit()
    frame.drop_stash(form.token.data)
    flash(_("Plan imported: %(count)s targets changed.", count=written), "success")
    return redirect(url_for("kpi.plan_grid", scope=scope[0], key=scope[1]))


@bp.get("/kpi/plan/export.<fmt>")
@roles_required(*STAFF_ROLES)
def plan_export(fmt):
    """The plan of a scope in the import's layout: fill it in as a template, or re-import it unchanged."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    kind, key = scope_args()
    header, rows = table_of_plan(kind, key, stages.all_stages())
    filename = f"kpi-plan-{kind}{'-' + key if key else ''}"
    return frame.table_response(fmt, filename, header, rows, _("KPI plan"))
