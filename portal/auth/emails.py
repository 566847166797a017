"""Email addresses of accounts: checked and normalised one way, for registration, sign-in and invitations."""

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.models import User
from portal.core.errors import DomainError
from portal.extensions import db


def normalize_email(email: str | None) -> str:
    return (email or "").strip().lower()


def check_email(email: str) -> str:
    """Return the normalised address or raise DomainError(field="email")."""
    try:
        return validate_email(
            email, check_deliverability=False, test_environment=current_app.config["EMAIL_ALLOW_TEST_DOMAINS"]
        ).normalized.lower()
    except EmailNotValidError as exc:
        raise DomainError(_l("Enter a valid email address."), field="email") from exc


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))
