"""Undelivered mail for managers, background exports for their owners, and the worker's health check."""

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.core.auth import STAFF_ROLES, roles_required
from portal.core.errors import DomainError
from portal.core.forms import EmptyForm
from portal.core.pagination import paginate
from portal.extensions import db
from portal.ops import exports, outbox
from portal.ops.health import worker_status
from portal.ops.models import MAIL_FAILED, MAIL_PENDING, MAIL_STATUS_LABELS, MAIL_SUPPRESSED, ExportJob, OutboxMessage

bp = Blueprint("ops", __name__, template_folder="templates")


@bp.get("/console/mail")
@roles_required(*STAFF_ROLES)
def mail():
    status = request.args.get("status", "")
    if status not in (MAIL_FAILED, MAIL_PENDING, MAIL_SUPPRESSED):
        status = ""
    return render_template("ops/mail.html", page=paginate(outbox.undelivered_query(status)), status=status,
                           status_labels=MAIL_STATUS_LABELS, form=EmptyForm())


@bp.post("/console/mail/<int:message_id>/resend")
@roles_required(*STAFF_ROLES)
def resend(message_id):
    message = db.get_or_404(OutboxMessage, message_id)
    if EmptyForm().validate_on_submit():
        try:
            outbox.resend_mail(message)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "warning")
        else:
            db.session.commit()
            flash(_("The mail to %(email)s is queued again.", email=message.to_address), "success")
    return redirect(url_for("ops.mail", status=request.args.get("status", "")))


@bp.get("/exports/<int:job_id>")
@login_required
def export_progress(job_id):
    return render_template("ops/export.html", job=_own_export(job_id))


@bp.get("/exports/<int:job_id>/status")
@login_required
def export_status(job_id):
    return jsonify(exports.describe_export(_own_export(job_id)))


@bp.get("/exports/<int:job_id>/download")
@login_required
def export_download(job_id):
    job = _own_export(job_id)
    path = exports.ready_file(job)
    if path is None:
        abort(404)
    return send_file(path, as_attachment=True, download_name=job.filename, max_age=0)


def _own_export(job_id: int) -> ExportJob:
    job = db.get_or_404(ExportJob, job_id)
    if job.owner_id != current_user.id:
        abort(404)
    return job


@bp.get("/healthz/worker")
def healthz_worker():
    state = worker_status(current_app.config["WORKER_STALE_AFTER"])
    return jsonify(state), 200 if state["status"] == "ok" else 503
