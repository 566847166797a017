from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import (
    mfa_views,  # noqa: F401 - the two-factor pages, on the same blueprint
    notifications,
    services,
)
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
from portal.auth.reauth import mark_fresh
from portal.auth.signin import (
    bp,
    complete_login,
    record_failed_sign_in,
    start_second_step,
    throttled,
)
from portal.core.errors import DomainError
from portal.core.forms import EmptyForm, show_error
from portal.core.inn import is_valid_inn
from portal.core.phones import format_phone
from portal.extensions import db, limiter
from portal.partners import services as partners


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = LoginForm()
    unconfirmed_email = None
    if form.validate_on_submit():
        email = services.normalize_email(form.email.data)[:254]
        if (headers := throttled(email)) is not None:
            return render_template("auth/login.html", form=form, unconfirmed_email=None,
                                   resend_form=ResendConfirmationForm()), 429, headers
        try:
            user = services.authenticate(email, form.password.data)
        except services.EmailNotConfirmed as exc:
            unconfirmed_email = exc.user.email
            show_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            record_failed_sign_in(email, "password", services.find_user_by_email(email))
            show_error(form, exc)
        else:
            if user.mfa_enabled:
                db.session.commit()
                start_second_step(user, remember=form.remember.data, next_url=request.args.get("next"))
                return redirect(url_for("auth.login_code"))
            return complete_login(user, remember=form.remember.data, next_url=request.args.get("next"))
    return render_template(
        "auth/login.html", form=form, unconfirmed_email=unconfirmed_email, resend_form=ResendConfirmationForm()
    )


@bp.post("/logout")
@login_required
def logout():
    # The session generation changes: this cookie, the remember-me cookie and any copy of them stop working.
    services.end_session(current_user._get_current_object())
    db.session.commit()
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
        except services.EmailTaken as exc:
            # The same page as for a new account; the owner gets a mail saying what happened.
            db.session.rollback()
            notifications.send_registration_attempt(exc.user)
            db.session.commit()
            return render_template("auth/check_email.html", email=services.normalize_email(form.email.data))
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
                job_title=form.job_title.data, locale=form.locale.data,
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
        sessions_form=EmptyForm(),
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
            mark_fresh()
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html", form=form, password_form=password_form,
        history=partners.membership_history(current_user), is_partner=current_user.role in PARTNER_ROLES,
        sessions_form=EmptyForm(),
    )


@bp.post("/profile/sessions/end")
@login_required
def sign_out_everywhere():
    if EmptyForm().validate_on_submit():
        user = current_user._get_current_object()
        services.sign_out_everywhere(user)
        db.session.commit()
        login_user(user)  # this browser goes on with the new session generation
        flash(_("You are signed out on every other device and browser."), "success")
    return redirect(url_for("auth.profile"))


