"""Accounts: people who sign in, their roles and the consents they gave."""

import secrets
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.auth import (  # noqa: F401 - the roles live on the ground floor, next to the role checks
    ADMIN,
    MANAGER,
    PARTICIPANT,
    PARTNER_ADMIN,
    PARTNER_ROLES,
    ROLES,
    STAFF_ROLES,
)
from portal.core.time import utcnow
from portal.extensions import db

ROLE_LABELS = {
    PARTICIPANT: _l("Participant"),
    PARTNER_ADMIN: _l("Partner admin"),
    MANAGER: _l("Program manager"),
    ADMIN: _l("Administrator"),
}

AUDIENCE_MANAGER = "manager"
AUDIENCE_SPECIALIST = "specialist"
AUDIENCES = (AUDIENCE_MANAGER, AUDIENCE_SPECIALIST)
AUDIENCE_LABELS = {
    AUDIENCE_MANAGER: _l("Manager (head, purchaser, seller)"),
    AUDIENCE_SPECIALIST: _l("Specialist (designer, installer, IT)"),
}
AUDIENCE_SHORT_LABELS = {AUDIENCE_MANAGER: _l("Manager"), AUDIENCE_SPECIALIST: _l("Specialist")}

LOCALES = ("ru", "en")

CONSENT_RULES = "rules"
CONSENT_PERSONAL_DATA = "personal_data"


def _new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES}", name="role_known"),
        CheckConstraint(f"audience IS NULL OR audience IN {AUDIENCES}", name="audience_known"),
        CheckConstraint(f"locale IN {LOCALES}", name="locale_known"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        Index("ix_users_full_name_id", "full_name", "id"),  # the people list's order
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    email_confirmed_at: Mapped[datetime | None]
    password_hash: Mapped[str] = mapped_column(String(255))
    # Part of the login cookie: changing it (password change or reset) signs out every other session.
    session_token: Mapped[str] = mapped_column(String(32), default=_new_session_token)
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(16))  # E.164
    birthday: Mapped[date | None]
    audience: Mapped[str | None] = mapped_column(String(16))
    job_title: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20), default=PARTICIPANT, index=True)
    locale: Mapped[str] = mapped_column(String(5), default="ru")
    active: Mapped[bool] = mapped_column(default=True)
    # The company the person works for now; the history is in CompanyMembership.
    company_id: Mapped[int | None] = mapped_column(ForeignKey("partner_companies.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Two-factor sign-in (TOTP): the shared secret once enrolment is confirmed, and the last time-step
    # accepted, so a code seen once (over a shoulder, in a proxy log) cannot be used again.
    mfa_secret: Mapped[str | None] = mapped_column(String(64))
    mfa_enabled_at: Mapped[datetime | None]
    mfa_last_step: Mapped[int | None]

    company = relationship("PartnerCompany", foreign_keys=[company_id], back_populates="staff")
    consents = relationship("Consent", back_populates="user", order_by="Consent.accepted_at")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def mfa_enabled(self) -> bool:
        return self.mfa_secret is not None and self.mfa_enabled_at is not None

    @property
    def is_partner_admin(self) -> bool:
        return self.role == PARTNER_ADMIN

    @property
    def role_label(self) -> str:
        return str(ROLE_LABELS[self.role])

    @property
    def audience_label(self) -> str:
        return str(AUDIENCE_SHORT_LABELS[self.audience]) if self.audience else ""

    def rotate_session_token(self) -> None:
        self.session_token = _new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class Consent(db.Model):
    """A participant's consent to a document, in the version they saw, and when."""

    __tablename__ = "consents"
    __table_args__ = (
        UniqueConstraint("user_id", "document", "version"),
        CheckConstraint(f"document IN {(CONSENT_RULES, CONSENT_PERSONAL_DATA)}", name="document_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    document: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(32))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(String(45))

    user = relationship(User, back_populates="consents")


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app; only its hash is kept."""

    __tablename__ = "mfa_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
