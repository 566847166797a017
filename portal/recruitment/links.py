"""The two signed links of a recruitment mail: the invitation (`/register?invite=TOKEN`, the registration form
filled in from the campaign's row) and the one-click unsubscribe, which works for an address that has no account:
it records the address, and no campaign writes to it again."""

from datetime import timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal.auth import registration
from portal.core.errors import DomainError
from portal.core.time import utcnow
from portal.core.tokens import TokenExpired, TokenInvalid, make_token, read_token
from portal.extensions import db

from .models import UNSUBSCRIBED, RecruitmentInvitee, RecruitmentOptOut

INVITE_PURPOSE = "recruitment-invite"
UNSUBSCRIBE_PURPOSE = "recruitment-unsubscribe"
LINK_VALID_FOR = timedelta(days=365)
NOT_VALID = _l("This unsubscribe link is not valid. Copy the whole link from the mail.")


def invitation_url(invitee: RecruitmentInvitee) -> str:
    return url_for("auth.register", invite=make_token(INVITE_PURPOSE, invitee.id), _external=True)


def unsubscribe_url(invitee: RecruitmentInvitee) -> str:
    return url_for("recruitment.unsubscribe", token=make_token(UNSUBSCRIBE_PURPOSE, invitee.id), _external=True)


def _invitee_of(purpose: str, token: str) -> RecruitmentInvitee | None:
    try:
        invitee_id = read_token(purpose, token or "", LINK_VALID_FOR)
    except (TokenExpired, TokenInvalid):
        return None
    return db.session.get(RecruitmentInvitee, invitee_id) if isinstance(invitee_id, int) else None


def follow_invitation(token: str) -> dict | None:
    """The registration form's values from the campaign's row, recording the first opening of the link (flushes);
    None when the token is not a recruitment invitation (the registration page tries the other kinds)."""
    invitee = _invitee_of(INVITE_PURPOSE, token)
    if invitee is None:
        return None
    if invitee.opened_at is None:
        invitee.opened_at = utcnow()
        if invitee.invited_at is None:  # a link handed on before the mail went: the funnel stays in order
            invitee.invited_at = invitee.opened_at
        db.session.flush()
    return {"inn": invitee.inn, "company_name": invitee.company_name, "company_region": invitee.region,
            "full_name": invitee.contact_name, "email": invitee.email}


def read_unsubscribe(token: str) -> RecruitmentInvitee:
    invitee = _invitee_of(UNSUBSCRIBE_PURPOSE, token)
    if invitee is None:
        raise DomainError(NOT_VALID)
    return invitee


def opt_out(token: str) -> RecruitmentInvitee:
    """Stop recruitment mail to the link's address, in every campaign, for good. Using the link again changes
    nothing. Flushes."""
    invitee = read_unsubscribe(token)
    if db.session.get(RecruitmentOptOut, invitee.email) is None:
        db.session.add(RecruitmentOptOut(email=invitee.email))
    db.session.execute(update(RecruitmentInvitee).where(
        RecruitmentInvitee.email == invitee.email, RecruitmentInvitee.stopped.is_(None)).values(stopped=UNSUBSCRIBED))
    db.session.flush()
    return invitee


def opted_out(emails) -> set[str]:
    emails = list(emails)
    found: set[str] = set()
    for start in range(0, len(emails), 900):
        found.update(db.session.scalars(select(RecruitmentOptOut.email).where(
            RecruitmentOptOut.email.in_(emails[start:start + 900]))))
    return found


def init_app(app) -> None:
    registration.recruitment_link.connect(follow_invitation)
