from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.models import PARTNER_ROLES, STAFF_ROLES
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.forms import EmptyForm, show_error
from portal.core.pagination import paginate
from portal.extensions import db

from . import services
from .forms import ReferralSettingsForm
from .models import STATES

bp = Blueprint("referrals", __name__, template_folder="templates")


@bp.get("/referrals")
@roles_required(*PARTNER_ROLES)
def invite():
    """My personal invitation link, and how the people I invited are doing."""
    try:
        link = services.link_of(current_user._get_current_object())
    except DomainError as exc:
        flash(str(exc.message), "warning")
        return redirect(url_for("home.dashboard"))
    db.session.commit()
    url = url_for("auth.register", ref=link.code, _external=True)
    invited, paid = services.totals_of(current_user.id)
    return render_template("referrals/invite.html", url=url, page=paginate(services.referrals_of(current_user.id)),
                           settings=services.get_referral_settings(), invited=invited, paid=paid,
                           renew_form=EmptyForm())


@bp.post("/referrals/renew")
@roles_required(*PARTNER_ROLES)
def renew():
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            services.renew_link(current_user._get_current_object())
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("Your new link is ready; the old one no longer works."), "success")
    return redirect(url_for("referrals.invite"))


@bp.route("/console/referrals", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def console():
    """The referral bonus settings, and every referral with its progress and bonus."""
    current = services.get_referral_settings()
    form = ReferralSettingsForm(obj=current)
    if form.validate_on_submit():
        try:
            services.save_referral_settings(current_user._get_current_object(), active=form.active.data,
                                            points=form.points.data, cap_per_period=form.cap_per_period.data,
                                            cap_period=form.cap_period.data)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The referral bonus settings are saved."), "success")
            return redirect(url_for("referrals.console"))
    status = request.args.get("status") if request.args.get("status") in STATES else None
    return render_template("referrals/console.html", form=form, status=status,
                           page=paginate(services.all_referrals(status)))
