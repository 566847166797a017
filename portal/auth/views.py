from flask import current_app, flash, jsonify, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import (
    mfa_views,  # noqa: F401 - the two-factor pages, on the same blueprint
    notifications,
    registration,
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
    recruited = registration.follow_recruitment_link(request.args.get("invite"))  # a campaign's link: "opened"
    try:
        invitation = None if recruited else registration.load_invitation(request.args.get("invite"))
    except DomainError as exc:
        flash(str(exc.message), "warning")
        return redirect(url_for("auth.register"))
    form = RegistrationForm()
    if recruited and request.method == "GET":
        form.process(data=recruited)
        db.session.commit()  # the campaign's funnel counts the opened link
    if invitation is not None:
        form.fix_company(invitation, prefill_email=request.method == "GET")
    if request.method == "GET" and (problem := registration.referral_note(request.args.get("ref"))):
        flash(str(problem), "warning")
    if form.validate_on_submit():
        try:
            user = registration.submit_registration(
                form.registration(locale=session.get("locale", "ru"), ip_address=request.remote_addr), invitation)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            referral_note = registration.referral_note(request.args.get("ref"), user)
            db.session.commit()
            if user is None or user.email_confirmed_at is None:  # the same page whether or not the address is taken
                if referral_note:
                    flash(str(referral_note), "warning")
                return render_template("auth/check_email.html", email=services.normalize_email(form.email.data))
            response = complete_login(user, next_url=url_for("home.dashboard"), fresh=False)
            flash(_("Welcome to the program!"), "success")  # after the sign-in, which starts a fresh session
            if referral_note:
                flash(str(referral_note), "warning")
            return response
    form.keep_typed_passwords()
    response = make_response(render_template("auth/register.html", form=form, invitation=invitation))
    response.headers["Cache-Control"] = "no-store"  # the passwords typed may be in it
    return response


@bp.get("/register/company")
@limiter.limit(lambda: current_app.config["COMPANY_LOOKUP_LIMIT"])
def company_lookup():
    """What the registration form says about an INN as it is typed: valid or not, in the program or not."""
    answer = registration.look_up_company(request.args.get("inn", ""))
    response = jsonify(valid=answer.valid, in_program=answer.in_program, message=answer.message)
    response.headers["Cache-Control"] = "no-store"
    return response


# Where the confirmation link takes a participant it signs in, and what it says there.
NEXT_STEPS = {
    registration.FIRST_SALE: ("claims.edit", _l("Your email is confirmed. Log your first sale to earn points.")),
    registration.HOME: ("home.dashboard", _l("Your email is confirmed. Welcome to the program!")),
}


@bp.get("/confirm/<token>")
def confirm_email(token):
    try:
        confirmed = registration.confirm_registration(token)
    except DomainError as exc:
        flash(str(exc.message), "danger")
        return redirect(url_for("auth.login"))
    db.session.commit()
    if confirmed.signs_in:
        endpoint, message = NEXT_STEPS[confirmed.next_step]
        response = complete_login(confirmed.user, next_url=url_for(endpoint), fresh=False)
        flash(str(message), "success")
        return response
    if current_user.is_authenticated and current_user.id == confirmed.user.id:
        return redirect(url_for("home.dashboard"))
    flash(_("Your email is already confirmed: log in.") if not confirmed.first_time
          else _("Your email is confirmed. You can log in now."), "success")
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


