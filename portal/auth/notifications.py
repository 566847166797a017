"""Mails about accounts, in the recipient's language: queued in the outbox, so commit after calling these.

Both are account mail: the only mail that also goes to an address not confirmed yet."""

from flask import url_for

from portal.auth import services
from portal.auth.models import User
from portal.core.mail import send_email


def send_confirmation(user: User) -> None:
    link = url_for("auth.confirm_email", token=services.email_confirmation_token(user), _external=True)
    send_email(
        user.email, "auth/email/confirm_subject.txt", "auth/email/confirm_body.txt",
        locale=user.locale, account_mail=True, user=user, link=link,
    )


def send_password_reset(user: User) -> None:
    link = url_for("auth.reset_password", token=services.password_reset_token(user), _external=True)
    send_email(
        user.email, "auth/email/reset_subject.txt", "auth/email/reset_body.txt",
        locale=user.locale, account_mail=True, user=user, link=link,
    )


def send_registration_attempt(user: User) -> None:
    """Someone tried to register with this account's address: tell the owner how to get in instead."""
    send_email(
        user.email, "auth/email/registration_attempt_subject.txt", "auth/email/registration_attempt_body.txt",
        locale=user.locale, account_mail=True, user=user, login_link=url_for("auth.login", _external=True),
        reset_link=url_for("auth.forgot_password", _external=True),
    )
