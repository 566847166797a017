"""The mail people choose: categories on or off, the weekly digest, consent to marketing mail, and the signed
one-click unsubscribe link every non-account mail carries (connected to portal.core.mail.mail_choice at start)."""

import secrets
from contextlib import nullcontext
from datetime import timedelta

from flask import current_app, has_request_context, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.auth.models import User
from portal.core import mail as core_mail
from portal.core.errors import DomainError
from portal.core.time import utcnow
from portal.core.tokens import TokenExpired, TokenInvalid, make_token, read_token
from portal.extensions import db

from .models import (
    CATEGORIES,
    CONTESTS,
    DIGEST_CATEGORIES,
    MARKETING_CATEGORIES,
    NEWS,
    MailPreference,
    MarketingConsent,
    UnsubscribeUse,
)

DIGEST = "digest"  # the weekly digest's own mail: unsubscribing from it turns off what it carries
UNSUBSCRIBE_CATEGORIES = (*CATEGORIES, DIGEST)
UNSUBSCRIBE_PURPOSE = "unsubscribe"
UNSUBSCRIBE_VALID_FOR = timedelta(days=365)
DEFAULT_MARKETING_VERSION = "2026-12"

CATEGORY_LABELS = {
    "decisions": _l("Decisions and points: sales, points, orders"),
    "contests": _l("Contests: start and results"),
    "news": _l("News and offers of the program"),
    "reminders": _l("Reminders: lead protection ending, points expiring"),
    "reports": _l("Reports: KPI and consistency reports"),
    DIGEST: _l("Weekly digest of news and contests"),
}


class UnsubscribeRefused(DomainError):
    pass


def marketing_version() -> str:
    return current_app.config.get("MARKETING_CONSENT_VERSION") or DEFAULT_MARKETING_VERSION


def preferences_of(user_id: int) -> MailPreference:
    """The person's settings; a new (unsaved) row with the defaults when they never changed them."""
    return db.session.get(MailPreference, user_id) or MailPreference(
        user_id=user_id, decisions=True, contests=True, news=True, reminders=True, reports=True, digest=False)


def _saved_preferences(user_id: int) -> MailPreference:
    preference = db.session.get(MailPreference, user_id)
    if preference is None:
        preference = preferences_of(user_id)
        db.session.add(preference)
    return preference


def active_consent(user_id: int) -> MarketingConsent | None:
    return db.session.scalar(select(MarketingConsent).where(
        MarketingConsent.user_id == user_id, MarketingConsent.withdrawn_at.is_(None))
        .order_by(MarketingConsent.id.desc()).limit(1))


def save_preferences(user: User, choices: dict[str, bool], digest: bool, marketing: bool,
                     ip_address: str | None = None) -> MailPreference:
    """Store the person's mail settings and their consent to marketing mail (given with the current version,
    or withdrawn). Flushes."""
    preference = _saved_preferences(user.id)
    for category in CATEGORIES:
        setattr(preference, category, bool(choices.get(category)))
    preference.digest = bool(digest)
    preference.updated_at = utcnow()
    consent = active_consent(user.id)
    if marketing and (consent is None or consent.version != marketing_version()):
        if consent is not None:
            consent.withdrawn_at = utcnow()
        db.session.add(MarketingConsent(user_id=user.id, version=marketing_version(), ip_address=ip_address))
    elif not marketing and consent is not None:
        consent.withdrawn_at = utcnow()
    db.session.flush()
    return preference


def wants(user_id: int, category: str) -> bool:
    """Whether single mails of `category` go to this person: not when turned off, not marketing without consent,
    not news or contests while the person takes the weekly digest (which itself goes when it carries something
    they want)."""
    preference = preferences_of(user_id)
    if category == DIGEST:
        return preference.digest and any(_category_allowed(preference, user_id, c) for c in DIGEST_CATEGORIES)
    if not _category_allowed(preference, user_id, category):
        return False
    return not (category in DIGEST_CATEGORIES and preference.digest)


def _category_allowed(preference: MailPreference, user_id: int, category: str) -> bool:
    if not getattr(preference, category):
        return False
    return category not in MARKETING_CATEGORIES or active_consent(user_id) is not None


def unsubscribe_url(user_id: int, category: str) -> str:
    """A link that unsubscribes this person from this category, without signing in; good once, for a year."""
    token = make_token(UNSUBSCRIBE_PURPOSE, {"u": user_id, "c": category, "n": secrets.token_hex(12)})
    context = nullcontext() if has_request_context() else current_app.test_request_context(
        base_url=current_app.config["PORTAL_URL"])
    with context:
        return url_for("notifications.unsubscribe", token=token, _external=True)


def mail_choice(address: str, category: str) -> core_mail.MailChoice:
    """What portal.core.mail asks before writing a mail of `category` (an address with no account, an
    invitation, gets its mail with no unsubscribe link: there are no settings to change)."""
    user = db.session.scalar(select(User).where(User.email == address.strip().lower()))
    if user is None:
        return core_mail.MailChoice(send=True)
    if not wants(user.id, category):
        return core_mail.MailChoice(send=False)
    return core_mail.MailChoice(send=True, unsubscribe_url=unsubscribe_url(user.id, category))


def read_unsubscribe_token(token: str, signed_in_user_id: int | None = None) -> tuple[User, str, str]:
    """(person, category, nonce) of a valid link not used yet; a translated refusal otherwise."""
    try:
        payload = read_token(UNSUBSCRIBE_PURPOSE, token, UNSUBSCRIBE_VALID_FOR)
    except TokenExpired:
        raise UnsubscribeRefused(_l("This unsubscribe link has expired. Sign in and change your mail settings "
                                    "on the notifications page.")) from None
    except TokenInvalid:
        raise UnsubscribeRefused(_l("This unsubscribe link is not valid. Copy the whole link from the mail, or "
                                    "sign in and change your mail settings.")) from None
    if not isinstance(payload, dict) or payload.get("c") not in UNSUBSCRIBE_CATEGORIES \
            or not isinstance(payload.get("u"), int) or not isinstance(payload.get("n"), str):
        raise UnsubscribeRefused(_l("This unsubscribe link is not valid. Copy the whole link from the mail, or "
                                    "sign in and change your mail settings."))
    user = db.session.get(User, payload["u"])
    if user is None:
        raise UnsubscribeRefused(_l("This unsubscribe link is not valid. Copy the whole link from the mail, or "
                                    "sign in and change your mail settings."))
    if signed_in_user_id is not None and signed_in_user_id != user.id:
        raise UnsubscribeRefused(_l("This link was sent to another account. Sign out first, or change your own "
                                    "mail settings on the notifications page."))
    if db.session.get(UnsubscribeUse, payload["n"]) is not None:
        raise UnsubscribeRefused(_l("This unsubscribe link has been used already. To change your mail settings "
                                    "again, sign in and open the notifications page."))
    return user, payload["c"], payload["n"]


def unsubscribe(token: str, signed_in_user_id: int | None = None) -> tuple[User, str]:
    """Turn off the link's category for its person and spend the link. Flushes; returns (person, category)."""
    user, category, nonce = read_unsubscribe_token(token, signed_in_user_id)
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    spent = db.session.execute(insert(UnsubscribeUse).values(
        nonce=nonce, user_id=user.id, category=category, used_at=utcnow()).on_conflict_do_nothing()
        .returning(UnsubscribeUse.nonce)).scalar()
    if spent is None:  # the same link posted twice at once: the other request spent it
        raise UnsubscribeRefused(_l("This unsubscribe link has been used already. To change your mail settings "
                                    "again, sign in and open the notifications page."))
    preference = _saved_preferences(user.id)
    for turned_off in ((NEWS, CONTESTS) if category == DIGEST else (category,)):
        setattr(preference, turned_off, False)
    preference.updated_at = utcnow()
    db.session.flush()
    return user, category


def forget_used_links(now) -> int:
    """Spent links older than their validity cannot be replayed anyway (they have expired). Commits."""
    removed = db.session.execute(UnsubscribeUse.__table__.delete().where(
        UnsubscribeUse.used_at < now - UNSUBSCRIBE_VALID_FOR - timedelta(days=1))).rowcount
    db.session.commit()
    return removed


def init_app(app) -> None:
    core_mail.mail_choice.connect(mail_choice)
