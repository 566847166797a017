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
