"""Account rules: registration, confirmation, signing in, passwords, profile, roles and deactivation."""

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.audit import services as audit
from portal.auth.emails import check_email, find_user_by_email, normalize_email  # noqa: F401 - used here and by views
from portal.auth.models import (
    ADMIN,
    AUDIENCES,
    CONSENT_PERSONAL_DATA,
    CONSENT_RULES,
    LOCALES,
    MANAGER,
    PARTICIPANT,
    PARTNER_ROLES,
    ROLES,
    Consent,
    User,
)
from portal.auth.passwords import check_password_strength, hash_password, verify_password
from portal.core import events
from portal.core.errors import DomainError, NotAllowed
from portal.core.phones import normalize_phone
from portal.core.time import today, utcnow
from portal.core.tokens import TokenExpired, TokenInvalid, make_token, read_token
from portal.extensions import db
from portal.partners import audiences
from portal.partners import services as partners
from portal.partners.models import Invitation

CONFIRM_EMAIL = "confirm-email"
RESET_PASSWORD = "reset-password"
# Checked against when no account matches, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = hash_password("not-a-real-password-1")


def check_phone(phone: str) -> str:
    normalized = normalize_phone(phone)
    if normalized is None:
        raise DomainError(_l("Enter a Russian phone number: +7 (999) 999-99-99."), field="phone")
    return normalized


def check_birthday(birthday: date | None) -> date | None:
    if birthday is None:
        return None
    age_years = (today() - birthday).days / 365.25
    if age_years < 16 or age_years > 100:
        raise DomainError(_l("Check the date of birth."), field="birthday")
    return birthday


class EmailTaken(DomainError):
    """Someone registered with the address of an existing account: answered like a success, told by mail."""

    def __init__(self, user: User):
        super().__init__(_l("An account with this email already exists."), field="email")
        self.user = user


@dataclass
class Registration:
    full_name: str
    email: str
    phone: str
    birthday: date | None
    audience: str
    job_title: str
    password: str
    inn: str = ""
    company_name: str = ""
    company_region: str = ""
    locale: str = "ru"
    ip_address: str | None = None
    accepted_rules: bool = False
    accepted_personal_data: bool = False


def register_participant(reg: Registration, invitation: Invitation | None = None) -> User:
    """Create a participant's account, attached to a company by INN or by an invitation.

    A known INN attaches the person to that company; an unknown one creates the company pending a
    program manager's approval. Both consents are recorded with the document versions in force.
    """
    if not (reg.accepted_rules and reg.accepted_personal_data):
        raise DomainError(_l("Both consents are required to take part in the program."), field="consent")
    email = check_email(reg.email)
    phone = check_phone(reg.phone)
    if reg.audience not in AUDIENCES:
        raise DomainError(_l("Choose who you are in your company."), field="audience")
    check_password_strength(reg.password, email)
    full_name = " ".join(reg.full_name.split())
    if len(full_name) < 3:
        raise DomainError(_l("Enter your full name."), field="full_name")
    # Checked last, once everything else is valid, and answered like a success: the page must not tell
    # anyone that an address has an account (the owner learns it by mail).
    existing = find_user_by_email(email)
    if existing is not None:
        hash_password(reg.password)  # the same work as a new account, so timing does not tell either
        raise EmailTaken(existing)

    if invitation is not None:
        if not invitation.is_open:
            raise DomainError(_l("This invitation is no longer valid."))
        company = invitation.company
    else:
        company = partners.company_for_registration(reg.inn, reg.company_name, reg.company_region)

    user = User(
        email=email,
        password_hash=hash_password(reg.password),
        full_name=full_name,
        phone=phone,
        birthday=check_birthday(reg.birthday),
        audience=reg.audience,
        job_title=(reg.job_title or "").strip() or None,
        role=PARTICIPANT,
        locale=reg.locale if reg.locale in LOCALES else "ru",
    )
    # Following an invitation sent to this very address proves the address is theirs.
    if invitation is not None and normalize_email(invitation.email) == email:
        user.email_confirmed_at = utcnow()
    db.session.add(user)
    db.session.flush()
    partners.start_membership(user, company)
    audiences.start_audience(user, reg.audience)  # asked once; afterwards the partner admin or the program decides
    if invitation is not None:
        partners.accept_invitation(invitation, user)
    config = current_app.config
    for document, version in (
        (CONSENT_RULES, config["RULES_VERSION"]),
        (CONSENT_PERSONAL_DATA, config["PRIVACY_POLICY_VERSION"]),
    ):
        db.session.add(Consent(user_id=user.id, document=document, version=version, ip_address=reg.ip_address))
    db.session.flush()
    events.participant_registered.send(user)
    return user


def email_confirmation_token(user: User) -> str:
    return make_token(CONFIRM_EMAIL, {"id": user.id, "email": user.email})


@dataclass
class Confirmation:
    user: User
    first_time: bool  # this use of the link confirmed the address (False: it was confirmed already)


def confirm_email(token: str) -> Confirmation:
    """Mark the address in a signed link as confirmed. Confirming twice is harmless."""
    try:
        data = read_token(CONFIRM_EMAIL, token, current_app.config["EMAIL_CONFIRM_MAX_AGE"])
    except TokenExpired as exc:
        raise DomainError(_l("The confirmation link has expired: log in to get a new one.")) from exc
    except TokenInvalid as exc:
        raise DomainError(_l("The confirmation link is not valid.")) from exc
    user = db.session.get(User, data.get("id"))
    if user is None or user.email != data.get("email"):
        raise DomainError(_l("The confirmation link is not valid."))
    first_time = user.email_confirmed_at is None
    if first_time:
        user.email_confirmed_at = utcnow()
        events.email_confirmed.send(user)
    return Confirmation(user, first_time)


class EmailNotConfirmed(DomainError):
    def __init__(self, user: User):
        super().__init__(_l("Confirm your email first: we sent a link to %(email)s.", email=user.email))
        self.user = user


def authenticate(email: str, password: str) -> User:
    """Return the user whose email and password match, or raise DomainError with the reason to show."""
    user = find_user_by_email(email)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        raise DomainError(_l("Wrong email or password."))
    if not verify_password(user.password_hash, password):
        raise DomainError(_l("Wrong email or password."))
    if not user.active:
        raise DomainError(_l("This account is deactivated. Contact the program team."))
    if user.email_confirmed_at is None:
        raise EmailNotConfirmed(user)
    user.last_login_at = utcnow()
    return user


def password_reset_token(user: User) -> str:
    # The current hash is part of the token: once the password changes, the link stops working.
    return make_token(RESET_PASSWORD, {"id": user.id, "h": user.password_hash[-12:]})


def reset_password(token: str, new_password: str) -> User:
    try:
        data = read_token(RESET_PASSWORD, token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    except TokenExpired as exc:
        raise DomainError(_l("The reset link has expired: ask for a new one.")) from exc
    except TokenInvalid as exc:
        raise DomainError(_l("The reset link is not valid.")) from exc
    user = db.session.get(User, data.get("id"))
    if user is None or user.password_hash[-12:] != data.get("h"):
        raise DomainError(_l("The reset link has already been used: ask for a new one."))
    check_password_strength(new_password, user.email)
    user.password_hash = hash_password(new_password)
    user.rotate_session_token()
    audit.record(audit.PASSWORD_CHANGED, actor=user, object_type="user", object_id=user.id,
                 changes={"by": "reset link"})
    # Receiving the link proves the address.
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        events.email_confirmed.send(user)
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise DomainError(_l("The current password is wrong."), field="current_password")
    check_password_strength(new_password, user.email)
    user.password_hash = hash_password(new_password)
    user.rotate_session_token()
    audit.record(audit.PASSWORD_CHANGED, actor=user, object_type="user", object_id=user.id)


def sign_out_everywhere(user: User) -> None:
    """End every session and remember-me cookie of this person (the caller signs the current one in again)."""
    user.rotate_session_token()
    audit.record(audit.SIGN_OUT_EVERYWHERE, actor=user, object_type="user", object_id=user.id)


def end_session(user: User) -> None:
    """Signing out: the cookies this browser holds, and any copies of them, stop working.

    The session generation is per person, so this also ends the person's other sessions; a stolen cookie
    replayed after the owner signs out signs nobody in."""
    user.rotate_session_token()


def update_profile(
    user: User, *, full_name: str, phone: str | None, birthday: date | None, job_title: str | None,
    locale: str,
) -> None:
    """The person's own details. Not their audience: the partner admin or the program decides it
    (portal.partners.audiences.change_audience)."""
    full_name = " ".join((full_name or "").split())
    if len(full_name) < 3:
        raise DomainError(_l("Enter your full name."), field="full_name")
    if user.role in PARTNER_ROLES:
        user.phone = check_phone(phone or "")
    elif phone:
        user.phone = check_phone(phone)
    user.full_name = full_name
    user.birthday = check_birthday(birthday)
    user.job_title = (job_title or "").strip() or None
    set_locale(user, locale)


def set_locale(user: User, locale: str) -> None:
    if locale in LOCALES:
        user.locale = locale


def set_role(user: User, role: str, actor: User) -> None:
    """Change someone's role. Only an admin grants or takes away the program team's roles."""
    if role not in ROLES:
        raise DomainError(_l("Unknown role."), field="role")
    if user.id == actor.id:
        raise NotAllowed(_l("You cannot change your own role."))
    if ADMIN != actor.role and (role in (MANAGER, ADMIN) or user.role in (MANAGER, ADMIN)):
        raise NotAllowed(_l("Only an administrator can grant or remove program team roles."))
    if role in PARTNER_ROLES and user.company_id is None:
        raise DomainError(_l("Attach the person to a partner company first."), field="role")
    if user.role != role:
        audit.record(audit.ROLE_CHANGED, actor=actor, object_type="user", object_id=user.id,
                     changes={"role": [user.role, role], "email": user.email})
    user.role = role


def set_active(user: User, active: bool, actor: User) -> None:
    if user.id == actor.id:
        raise NotAllowed(_l("You cannot deactivate your own account."))
    if user.role == ADMIN and actor.role != ADMIN:
        raise NotAllowed(_l("Only an administrator can deactivate an administrator."))
    if user.active != active:
        audit.record(audit.ACCOUNT_ACTIVATED if active else audit.ACCOUNT_DEACTIVATED, actor=actor,
                     object_type="user", object_id=user.id, changes={"email": user.email})
    user.active = active
    if not active:
        user.rotate_session_token()  # signs them out everywhere


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id)))
