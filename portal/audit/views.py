"""The audit log: administrators read every entry; program managers read the program's actions (not the
administrators' security events). Filters, pages and downloads (a download is itself recorded)."""

from datetime import date

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.audit import presenter
from portal.audit import services as audit
from portal.audit.forms import AuditFilterForm
from portal.audit.models import AuditEntry
from portal.auth.models import ADMIN, STAFF_ROLES
from portal.core.auth import roles_required
from portal.core.exports import DATETIME, Column, Table, export_builder, export_response
from portal.core.pagination import paginate
from portal.extensions import db

bp = Blueprint("audit", __name__, template_folder="templates")

CHUNK = 1000


def _reader_filters() -> tuple[AuditFilterForm, dict]:
    program_only = current_user.role != ADMIN
    form = AuditFilterForm(request.args, program_only=program_only)
    return form, {**form.filters(), "program_only": program_only}


def _query(filters: dict):
    """entries_query for the form's filters: an object name becomes the objects it names."""
    filters = dict(filters)
    name = filters.pop("object_name", "")
    return audit.entries_query(**filters, objects=presenter.objects_named(name) if name else None)


@bp.get("/console/audit")
@roles_required(*STAFF_ROLES)
def index():
    form, filters = _reader_filters()
    page = paginate(_query(filters))
    return render_template("audit/index.html", form=form, page=page, shown=presenter.present(page.items))


@bp.get("/console/audit/export.<any(csv, xlsx):fmt>")
@roles_required(*STAFF_ROLES)
def export(fmt):
    _form, filters = _reader_filters()
    audit.record(audit.AUDIT_EXPORTED, object_type="audit", changes={"format": fmt, **{
        k: v for k, v in filters.items() if v and k != "program_only"}})
    db.session.commit()
    return export_response("audit-log", {k: v.isoformat() if hasattr(v, "isoformat") else v
                                         for k, v in filters.items() if v}, fmt)


@export_builder("audit-log")
def audit_table(params: dict) -> Table:
    """params: entries_query's filters (dates as ISO text)."""
    filters = {k: date.fromisoformat(v) if k in ("date_from", "date_to") else v for k, v in params.items()}
    query = _query(filters)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.order_by(None).subquery()))

    def rows():
        offset = 0
        while chunk := db.session.scalars(query.offset(offset).limit(CHUNK)).all():
            for s in presenter.present(chunk):
                e: AuditEntry = s.entry
                yield (e.created_at, str(s.actor.striptags()) if s.actor else "", e.actor_email or "",
                       e.ip_address or "", e.user_agent or "", s.action, s.object_type, s.target_text, s.changes_text)
            offset += len(chunk)

    return Table(filename="audit-log", sheet_title=_("Audit log"), header=[
        Column(_("When"), DATETIME), Column(_("Who")), Column(_("Email")), Column(_("Address")), Column(_("Browser")),
        Column(_("Action")), Column(_("Object type")), Column(_("Object")), Column(_("Changes"))],
        rows=rows(), total=total)


@bp.app_template_filter("audit_changes")
def audit_changes(changes):
    return audit.changes_text(changes)


@bp.after_app_request
def record_staff_downloads(response):
    """A table of people's data downloaded by the program team is recorded, whichever page offered it."""
    endpoint = request.endpoint or ""
    if (response.status_code == 200 and "export" in endpoint and endpoint != "audit.export"
            and response.headers.get("Content-Disposition", "").startswith("attachment")
            and current_user and current_user.is_authenticated and current_user.is_staff):
        args = {k: v[:100] for k, v in request.args.items() if v}
        audit.record(audit.DATA_EXPORTED, object_type="export", object_id=endpoint,
                     changes={"path": request.path[:200], **({"filters": args} if args else {})})
        db.session.commit()
    return response
