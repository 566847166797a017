from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import notifications, services
from portal.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    ResendConfirmationForm,
    ResetPasswordForm,
)
from portal.auth.models import PARTNER_ROLES
from portal.core.errors import DomainError
from portal.core.forms import show_error
from portal.core.inn import is_valid_inn
from portal.core.phones import format_phone
from portal.extensions import db, limiter
from portal.partners import services as partners

bp = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str | None:
    """Only follow `next` within this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_account_key() -> str:
    return "login-account:" + services.normalize_email(request.form.get("email"))


def _login_failed(response) -> bool:
    # A successful login redirects; only failed attempts count towards the per-account limit.
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_login_failed)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_login_account_key,
    deduct_when=_login_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = LoginForm()
    unconfirmed_email = None
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.EmailNotConfirmed as exc:
            unconfirmed_email = exc.user.email
            show_error(form, exc)
        except DomainError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            locale_choice = session.get("locale")
            session.clear()  # a fresh session at every login: nothing from before carries over
            login_user(user, remember=form.remember.data)
            if locale_choice and locale_choice != user.locale:
                services.set_locale(user, locale_choice)
                db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("home.dashboard"))
    return render_template(
        "auth/login.html", form=form, unconfirmed_email=unconfirmed_email, resend_form=ResendConfirmationForm()
    )


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("home.index"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    invitation = None
    token = request.args.get("invite")
    if token:
        try:
            invitation = partners.load_invitation(token)
        except DomainError as exc:
            flash(str(exc.message), "warning")
            return redirect(url_for("auth.register"))
    form = RegistrationForm()
    if invitation is not None:
        # The invitation fixes the company: whatever the browser sends for the INN is ignored.
        form.inn.data = invitation.company.inn
        if request.method == "GET":
            form.email.data = invitation.email
    if form.validate_on_submit():
        registration = services.Registration(
            full_name=form.full_name.data, email=form.email.data, phone=form.phone.data,
            birthday=form.birthday.data, audience=form.audience.data, job_title=form.job_title.data,
            password=form.password.data, inn=form.inn.data, company_name=form.company_name.data,
            company_region=form.company_region.data, locale=session.get("locale", "ru"),
            ip_address=request.remote_addr, accepted_rules=form.accept_rules.data,
            accepted_personal_data=form.accept_personal_data.data,
        )
        try:
            user = services.register_participant(registration, invitation=invitation)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            if user.email_confirmed_at is None:
                notifications.send_confirmation(user)
            db.session.commit()
            if user.email_confirmed_at is not None:
                session.clear()
                login_user(user)
                flash(_("Welcome to the program!"), "success")
                return redirect(url_for("home.dashboard"))
            return render_template("auth/check_email.html", email=user.email)
    return render_template("auth/register.html", form=form, invitation=invitation)


@bp.get("/register/company")
@limiter.limit("60 per minute")
def company_lookup():
    """Tell the registration form whether an INN is known, so it asks for name and region only when needed."""
    inn = request.args.get("inn", "")
    if not is_valid_inn(inn):
        return jsonify(valid=False, known=False)
    company = partners.find_company_by_inn(inn)
    if company is None:
        return jsonify(valid=True, known=False)
    return jsonify(valid=True, known=True, name=company.name, status=company.status)


@bp.get("/confirm/<token>")
def confirm_email(token):
    try:
        services.confirm_email(token)
    except DomainError as exc:
        flash(str(exc.message), "danger")
        return redirect(url_for("auth.login"))
    db.session.commit()
    flash(_("Your email is confirmed. You can log in now."), "success")
    return redirect(url_for("auth.login"))


@bp.post("/confirm/resend")
@limiter.limit("5 per hour")
def resend_confirmation():
    form = ResendConfirmationForm()
    if form.validate_on_submit():
        user = services.find_user_by_email(form.email.data)
        if user is not None and user.email_confirmed_at is None:
            notifications.send_confirmation(user)
            db.session.commit()
    flash(_("If the address needs confirming, a new link is on its way."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = services.find_user_by_email(form.email.data)
        if user is not None and user.active:
            notifications.send_password_reset(user)
            db.session.commit()
        # The same answer whether or not the address has an account.
        flash(_("If an account uses this address, we have sent it a link to set a new password."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            logout_user()
            flash(_("Your password is changed. Log in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    if request.method == "GET":
        form.phone.data = format_phone(current_user.phone)
    if form.validate_on_submit():
        try:
            services.update_profile(
                current_user, full_name=form.full_name.data, phone=form.phone.data, birthday=form.birthday.data,
                job_title=form.job_title.data, locale=form.locale.data, audience=form.audience.data,
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            session["locale"] = current_user.locale
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html", form=form, password_form=password_form,
        history=partners.membership_history(current_user), is_partner=current_user.role in PARTNER_ROLES,
    )


@bp.post("/profile/password")
@login_required
def change_password():
    form = ProfileForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        try:
            services.change_password(current_user, password_form.current_password.data, password_form.password.data)
        except DomainError as exc:
            db.session.rollback()
            show_error(password_form, exc)
        else:
            db.session.commit()
            # The session token changed: this session goes on, every other one ends.
            login_user(current_user._get_current_object())
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html", form=form, password_form=password_form,
        history=partners.membership_history(current_user), is_partner=current_user.role in PARTNER_ROLES,
    )
