"""Notifications, each person's unread counter, mail preferences, marketing consents and used unsubscribe links."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.time import utcnow
from portal.extensions import db

# Mail categories a person may turn off; account mail (confirmation, password, security) is always on.
DECISIONS = "decisions"  # claim decisions, points, orders
CONTESTS = "contests"
NEWS = "news"  # marketing: only with consent
REMINDERS = "reminders"  # lead protection ending, points expiring
REPORTS = "reports"  # KPI reports, consistency reports for the program team
CATEGORIES = (DECISIONS, CONTESTS, NEWS, REMINDERS, REPORTS)
MARKETING_CATEGORIES = (NEWS,)
DIGEST_CATEGORIES = (NEWS, CONTESTS)  # a weekly digest may replace their single mails


class Notification(db.Model):
    """One line on a person's notifications page: what happened (kind + params, worded when shown), and a link."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_id", "user_id", "id"),  # the page, newest first
        Index("ix_notifications_created_at", "created_at"),  # retention
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class NotificationCounter(db.Model):
    """A person's unread notifications, kept by the statements that add and read them: the bell reads one row."""

    __tablename__ = "notification_counters"
    __table_args__ = (CheckConstraint("unread >= 0", name="unread_not_negative"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    unread: Mapped[int] = mapped_column(default=0)


class MailPreference(db.Model):
    """Which categories of mail a person wants; no row means the defaults (all on, no digest)."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    decisions: Mapped[bool] = mapped_column(default=True)
    contests: Mapped[bool] = mapped_column(default=True)
    news: Mapped[bool] = mapped_column(default=True)
    reminders: Mapped[bool] = mapped_column(default=True)
    reports: Mapped[bool] = mapped_column(default=True)
    # News and contests come as one weekly mail instead of single mails.
    digest: Mapped[bool] = mapped_column(default=False)
    digest_sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MarketingConsent(db.Model):
    """Consent to marketing mail (news, recruitment) in the version the person saw; a withdrawal dates the row."""

    __tablename__ = "marketing_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    ip_address: Mapped[str | None] = mapped_column(String(45))


class UnsubscribeUse(db.Model):
    """An unsubscribe link that has been used: the same link is not accepted twice."""

    __tablename__ = "unsubscribe_uses"
    __table_args__ = (CheckConstraint(f"category IN {(*CATEGORIES, 'digest')}", name="category_known"),)

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
