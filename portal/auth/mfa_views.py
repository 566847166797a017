"""Two-factor sign-in (the code step, enrolment, recovery codes) and re-authentication."""

import time

from flask import Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.audit import services as audit
from portal.auth import mfa
from portal.auth.forms import CodeForm, ConfirmCodeForm, PasswordCheckForm, ReauthForm
from portal.auth.models import User
from portal.auth.passwords import verify_password
from portal.auth.reauth import mark_fresh
from portal.auth.signin import (
    PENDING,
    PENDING_FOR_SECONDS,
    _safe_next,
    bp,
    complete_login,
    record_failed_sign_in,
    throttled,
)
from portal.core.errors import DomainError
from portal.core.forms import show_error
from portal.extensions import db

SETUP_SECRET = "mfa_setup_secret"
# Pages a person who must set up two-factor sign-in can still open.
OPEN_WHILE_ENROLLING = {"auth.mfa_settings", "auth.mfa_qr", "auth.mfa_enable", "auth.logout", "static",
                        "home.set_language", "bootstrap.static"}


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_FOR_SECONDS:
        return None
    user = db.session.get(User, pending.get("id")) if isinstance(pending.get("id"), int) else None
    if user is None or not user.active or user.session_token != pending.get("token") or not user.mfa_enabled:
        return None
    return user


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Log in again: the sign-in took too long."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        account = f"code:{user.id}"
        if (headers := throttled(account)) is not None:
            return render_template("auth/login_code.html", form=form), 429, headers
        pending = session[PENDING]
        if mfa.verify_code(user, form.code.data):
            return complete_login(user, remember=pending["remember"], next_url=pending["next"])
        if mfa.use_recovery_code(user, form.code.data):
            audit.record(audit.MFA_RECOVERY_USED, actor=user, object_type="user", object_id=user.id,
                         changes={"left": mfa.recovery_codes_left(user)})
            response = complete_login(user, remember=pending["remember"], next_url=pending["next"])
            flash(_("You signed in with a recovery code; it will not work again."), "warning")  # after the reset
            return response
        db.session.rollback()
        record_failed_sign_in(user.email, "code", user, throttle_key=account)
        form.code.errors = [*form.code.errors, _("The code is wrong or has been used already.")]
        form.code.data = ""  # an empty field for the next try
    return render_template("auth/login_code.html", form=form)


@bp.route("/reauth", methods=["GET", "POST"])
@login_required
def reauth():
    form = ReauthForm()
    target = _safe_next(request.args.get("next")) or url_for("home.dashboard")
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if (headers := throttled(user.email)) is not None:
            return render_template("auth/reauth.html", form=form), 429, headers
        if (form.password.data and verify_password(user.password_hash, form.password.data)) or (
                form.code.data and mfa.verify_code(user, form.code.data)):
            db.session.commit()
            mark_fresh()
            return redirect(target)
        record_failed_sign_in(user.email, "reauth", user)
        form.password.errors = [*form.password.errors, _("The password or the code is wrong.")]
    return render_template("auth/reauth.html", form=form)


@bp.get("/profile/mfa")
@login_required
def mfa_settings():
    user = current_user._get_current_object()
    if user.mfa_enabled:
        return render_template("auth/mfa.html", codes_left=mfa.recovery_codes_left(user),
                               password_form=PasswordCheckForm(), disable_form=PasswordCheckForm(prefix="off"))
    if not isinstance(session.get(SETUP_SECRET), str):
        session[SETUP_SECRET] = mfa.new_secret()
    return render_template("auth/mfa_setup.html", form=ConfirmCodeForm(), secret=session[SETUP_SECRET])


@bp.get("/profile/mfa/qr.svg")
@login_required
def mfa_qr():
    secret = session.get(SETUP_SECRET)
    if not isinstance(secret, str) or current_user.mfa_enabled:
        return Response(status=404)
    return Response(mfa.qr_svg(current_user, secret), mimetype="image/svg+xml",
                    headers={"Cache-Control": "no-store"})


@bp.post("/profile/mfa")
@login_required
def mfa_enable():
    user = current_user._get_current_object()
    secret = session.get(SETUP_SECRET)
    form = ConfirmCodeForm()
    if user.mfa_enabled or not isinstance(secret, str):
        return redirect(url_for("auth.mfa_settings"))
    if form.validate_on_submit():
        try:
            codes = mfa.enable_mfa(user, secret, form.code.data)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            audit.record(audit.MFA_ENABLED, actor=user, object_type="user", object_id=user.id)
            db.session.commit()
            session.pop(SETUP_SECRET, None)
            mark_fresh()
            flash(_("Two-factor sign-in is on."), "success")
            return render_template("auth/mfa_codes.html", codes=codes)
    return render_template("auth/mfa_setup.html", form=form, secret=secret), 400


@bp.post("/profile/mfa/recovery-codes")
@login_required
def mfa_recovery_codes():
    user = current_user._get_current_object()
    form = PasswordCheckForm()
    if user.mfa_enabled and form.validate_on_submit():
        try:
            mfa.check_password(user, form.password.data)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            codes = mfa.new_recovery_codes(user)
            audit.record(audit.MFA_CODES_RENEWED, actor=user, object_type="user", object_id=user.id)
            db.session.commit()
            return render_template("auth/mfa_codes.html", codes=codes)
    return redirect(url_for("auth.mfa_settings"))


@bp.post("/profile/mfa/off")
@login_required
def mfa_disable():
    user = current_user._get_current_object()
    form = PasswordCheckForm(prefix="off")
    if user.mfa_enabled and form.validate_on_submit():
        try:
            mfa.disable_mfa(user, form.password.data)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            audit.record(audit.MFA_DISABLED, actor=user, object_type="user", object_id=user.id)
            db.session.commit()
            flash(_("Two-factor sign-in is off."), "info")
    return redirect(url_for("auth.mfa_settings"))


@bp.before_app_request
def require_mfa_for_staff():
    """With MFA_REQUIRED_FOR_STAFF, managers and admins without two-factor sign-in set it up first."""
    if (current_app.config["MFA_REQUIRED_FOR_STAFF"] and request.endpoint not in OPEN_WHILE_ENROLLING
            and not request.path.startswith("/api/") and current_user.is_authenticated
            and current_user.is_staff and not current_user.mfa_enabled):
        flash(_("The program team signs in with a second factor: set it up to continue."), "warning")
        return redirect(url_for("auth.mfa_settings"))
    return None
