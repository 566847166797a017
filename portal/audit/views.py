"""The audit log for administrators: filters, pages and downloads (a download is itself recorded)."""

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.audit import services as audit
from portal.audit.forms import AuditFilterForm
from portal.auth.models import ADMIN
from portal.core.auth import roles_required
from portal.core.exports import csv_response, xlsx_response
from portal.core.pagination import paginate
from portal.extensions import db

bp = Blueprint("audit", __name__, template_folder="templates")

EXPORT_LIMIT = 100_000


@bp.get("/console/audit")
@roles_required(ADMIN)
def index():
    form = AuditFilterForm(request.args)
    filters = form.filters()
    return render_template("audit/index.html", form=form, page=paginate(audit.entries_query(**filters)),
                           label=audit.action_label, object_label=audit.object_label)


@bp.get("/console/audit/export.<any(csv, xlsx):fmt>")
@roles_required(ADMIN)
def export(fmt):
    filters = AuditFilterForm(request.args).filters()
    entries = db.session.scalars(audit.entries_query(**filters).limit(EXPORT_LIMIT)).all()
    audit.record(audit.AUDIT_EXPORTED, object_type="audit", changes={"format": fmt, "rows": len(entries),
                                                                     **{k: v for k, v in filters.items() if v}})
    db.session.commit()
    header = [_("When (UTC)"), _("Who"), _("Address"), _("Browser"), _("Action"), _("Object type"),
              _("Object number"), _("Changes")]
    rows = ([e.created_at, e.actor_email or "", e.ip_address or "", e.user_agent or "", audit.action_label(e.action),
             e.object_type or "", e.object_id or "", audit.changes_text(e.changes)] for e in entries)
    if fmt == "xlsx":
        return xlsx_response("audit-log", header, rows, _("Audit log"))
    return csv_response("audit-log", header, rows)


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
