"""The program team's review queue: filters, export, bulk and single decisions."""


from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from portal.auth.models import STAFF_ROLES
from portal.claims import notifications, services
from portal.claims.blueprint import bp
from portal.claims.exports import queue_params
from portal.claims.forms import BulkForm, RejectForm, ReverseForm
from portal.claims.models import STATUS_LABELS, SUBMITTED, Claim
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.exports import export_response
from portal.core.fields import as_id, parse_day
from portal.core.pagination import paginate
from portal.extensions import db
from portal.groups.services import resolve_company
from portal.partners.models import PartnerCompany
from portal.products.services import parse_money

# --- program manager -----------------------------------------------------------------------------


def _queue_company(value: str | None) -> tuple[PartnerCompany | None, str | None]:
    """The queue's company filter: the picker sends an INN; a name typed without the script works too.
    Answers the company, or a message when the text names none."""
    value = (value or "").strip()
    if not value:
        return None, None
    try:
        return resolve_company(value), None
    except DomainError as exc:
        return None, str(exc.message)


def _queue_query(args, company: PartnerCompany | None = None):
    return services.review_queue(**_queue_filters(args, company), args=args)


def _queue_filters(args, company: PartnerCompany | None = None) -> dict:
    return dict(
        status=args.get("status", SUBMITTED),
        # a company the text does not name matches nothing (never silently every company)
        company_id=company.id if company else (-1 if (args.get("company") or "").strip() else None),
        date_from=parse_day(args.get("date_from")), date_to=parse_day(args.get("date_to")),
        min_total=parse_money(args.get("min")) if args.get("min") else None,
        max_total=parse_money(args.get("max")) if args.get("max") else None,
        flagged=args.get("flagged") == "1", q=args.get("q", ""), sort=args.get("sort", "oldest"),
    )


@bp.get("/console/claims")
@roles_required(*STAFF_ROLES)
def queue():
    args = request.args.to_dict()
    args.setdefault("status", SUBMITTED)
    company, company_problem = _queue_company(args.get("company"))
    return render_template("claims/queue.html", page=paginate(_queue_query(args, company)),
                           status_labels=STATUS_LABELS, company=company, company_problem=company_problem,
                           bulk_form=BulkForm(), args=args)


@bp.get("/console/claims/export.<any(csv, xlsx):fmt>")
@roles_required(*STAFF_ROLES)
def queue_export(fmt):
    args = request.args.to_dict()
    args.setdefault("status", SUBMITTED)
    company, _problem = _queue_company(args.get("company"))
    return export_response("claims-sales", queue_params(_queue_filters(args, company)), fmt)


@bp.post("/console/claims/bulk")
@roles_required(*STAFF_ROLES)
def bulk():
    form = BulkForm()
    ids = [i for i in map(as_id, request.form.getlist("claim_ids")) if i]
    if not form.validate_on_submit() or not ids:
        flash(_("Tick the claims to decide on."), "warning")
        return redirect(request.referrer or url_for("claims.queue"))
    done, refused, waiting = [], [], 0
    for claim in db.session.scalars(select(Claim).where(Claim.id.in_(ids)).order_by(Claim.id)).all():
        if form.action.data == "approve" and claim.status == SUBMITTED and services.company_not_admitted(claim):
            waiting += 1  # its company is not approved (yet): the claim waits, said once for all of them
            continue
        try:
            if form.action.data == "approve":
                services.approve_claim(claim, current_user, bulk=True)
            else:
                reason = form.reason_text()
                services.reject_claim(claim, current_user, reason)
            notifications.send_decision(claim)
            db.session.commit()
            done.append(claim)
        except DomainError as exc:
            db.session.rollback()
            refused.append(f"#{claim.id}: {exc.message}")
    if done:
        flash(ngettext("%(num)s claim decided.", "%(num)s claims decided.", len(done)), "success")
    if waiting:
        flash(ngettext("%(num)s claim skipped: its company is not approved yet (awaiting approval or not admitted).",
                       "%(num)s claims skipped: their companies are not approved yet (awaiting approval or not "
                       "admitted).", waiting), "warning")
    for message in refused:
        flash(message, "danger")
    return redirect(request.referrer or url_for("claims.queue"))


def _decide(claim_id, action):
    claim = db.get_or_404(Claim, claim_id)
    try:
        action(claim)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        notifications.send_decision(claim)
        db.session.commit()
        flash(_("Sale #%(id)s: %(status)s.", id=claim.id, status=claim.status_label), "success")
    return redirect(url_for("claims.detail", claim_id=claim_id))


@bp.post("/console/claims/<int:claim_id>/approve")
@roles_required(*STAFF_ROLES)
def approve(claim_id):
    return _decide(claim_id, lambda claim: services.approve_claim(claim, current_user))


@bp.post("/console/claims/<int:claim_id>/reject")
@roles_required(*STAFF_ROLES)
def reject(claim_id):
    form = RejectForm()
    return _decide(claim_id, lambda claim: services.reject_claim(claim, current_user, form.reason_text()))


@bp.post("/console/claims/<int:claim_id>/reverse")
@roles_required(*STAFF_ROLES)
def reverse(claim_id):
    form = ReverseForm()
    return _decide(claim_id, lambda claim: services.reverse_claim(claim, current_user, form.reason.data or ""))
