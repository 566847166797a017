"""The weekly digest: people who chose it get the week's news and contest notifications in one mail."""

from datetime import datetime, timedelta
from urllib.parse import urljoin

from flask import current_app, url_for
from flask_babel import force_locale
from sqlalchemy import or_, select

from portal.auth.models import User
from portal.core.mail import send_email
from portal.extensions import db

from .kinds import CATEGORY_OF, text_of
from .mailing import DIGEST, active_consent, wants
from .models import CONTESTS, NEWS, MailPreference, Notification

EVERY = timedelta(days=7)


def _kinds_for(preference: MailPreference, user_id: int) -> list[str]:
    categories = {CONTESTS} if preference.contests else set()
    if preference.news and active_consent(user_id) is not None:
        categories.add(NEWS)
    return [kind for kind, category in CATEGORY_OF.items() if category in categories]


def send_digests(now: datetime) -> int:
    """Mail each person whose digest is due the notifications since their last one (a week at most). Commits
    person by person; returns how many digests were written."""
    due = db.session.scalars(select(MailPreference.user_id).where(
        MailPreference.digest.is_(True),
        or_(MailPreference.digest_sent_at.is_(None), MailPreference.digest_sent_at <= now - EVERY))
        .order_by(MailPreference.user_id)).all()
    sent = 0
    for user_id in due:
        preference = db.session.get(MailPreference, user_id)
        user = db.session.get(User, user_id)
        since = max(preference.digest_sent_at or now - EVERY, now - EVERY)
        kinds = _kinds_for(preference, user_id)
        items = db.session.scalars(select(Notification).where(
            Notification.user_id == user_id, Notification.kind.in_(kinds), Notification.created_at > since,
            Notification.created_at <= now).order_by(Notification.id)).all() if kinds else []
        preference.digest_sent_at = now
        if items and user.active and wants(user_id, DIGEST):
            with current_app.test_request_context(base_url=current_app.config["PORTAL_URL"]), \
                    force_locale(user.locale):
                base = current_app.config["PORTAL_URL"]
                lines = [(text_of(item.kind, item.params), urljoin(base, item.link) if item.link else None)
                         for item in items]
                send_email(user.email, "notifications/email/digest_subject.txt",
                           "notifications/email/digest_body.txt", locale=user.locale, category=DIGEST, user=user,
                           lines=lines, link=url_for("notifications.index", _external=True))
            sent += 1
        db.session.commit()
    return sent
