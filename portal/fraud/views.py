"""The claim's hold and "fraud" decision buttons, and the manager's thresholds page."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.models import STAFF_ROLES
from portal.auth.reauth import fresh_auth_required
from portal.claims import notifications
from portal.claims.models import Claim
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.forms import EmptyForm, show_error
from portal.extensions import db
from portal.fraud import services
from portal.fraud.cli import register as register_cli
from portal.fraud.forms import FraudDecisionForm, FraudSettingsForm

bp = Blueprint("fraud", __name__, template_folder="templates")
register_cli(bp)


@bp.post("/console/claims/<int:claim_id>/hold")
@roles_required(*STAFF_ROLES)
def hold(claim_id):
    claim = db.get_or_404(Claim, claim_id)
    if not EmptyForm().validate_on_submit():
        flash(_("The form has expired: try again."), "warning")
        return redirect(url_for("claims.detail", claim_id=claim.id))
    try:
        services.hold_claim(claim, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(_("Sale #%(id)s waits for a second reviewer.", id=claim.id), "success")
    return redirect(url_for("claims.detail", claim_id=claim.id))


@bp.post("/console/claims/<int:claim_id>/fraud")
@roles_required(*STAFF_ROLES)
def fraud(claim_id):
    claim = db.get_or_404(Claim, claim_id)
    form = FraudDecisionForm()
    if not form.validate_on_submit():
        flash(_("The comment is too long: at most 300 characters."), "warning")
        return redirect(url_for("claims.detail", claim_id=claim.id))
    try:
        services.decide_fraud(claim, current_user, form.note.data or "")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        notifications.send_decision(claim)
        db.session.commit()
        flash(_("Sale #%(id)s is decided as fraud.", id=claim.id), "success")
    return redirect(url_for("claims.detail", claim_id=claim.id))


@bp.route("/console/fraud", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
@fresh_auth_required
def settings():
    current = services.get_fraud_settings()
    form = FraudSettingsForm(data={"bulk_max_score": current.bulk_max_score, "hold_score": current.hold_score,
                                   "large_sale": f"{current.large_sale_kopecks / 100:.2f}".replace(".", ",")}
                             if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.save_fraud_settings(current_user, bulk_max_score=form.bulk_max_score.data,
                                         hold_score=form.hold_score.data, large_sale_kopecks=form.large_sale.kopecks)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The fraud thresholds are saved."), "success")
            return redirect(url_for("fraud.settings"))
    return render_template("fraud/settings.html", form=form)
