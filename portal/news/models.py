"""A news item with its targeting and schedule, and who read it."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.localized import in_locale
from portal.core.time import utcnow
from portal.extensions import db

EVERYONE = "all"
AUDIENCES = "audiences"
GROUPS = "groups"
COMPANIES = "companies"
REGIONS = "regions"
TARGETS = (EVERYONE, AUDIENCES, GROUPS, COMPANIES, REGIONS)
TARGET_LABELS = {
    EVERYONE: _l("Everyone"),
    AUDIENCES: _l("Audiences"),
    GROUPS: _l("Partner groups"),
    COMPANIES: _l("Companies"),
    REGIONS: _l("Regions"),
}


class NewsItem(db.Model):
    __tablename__ = "news_items"
    __table_args__ = (
        CheckConstraint(f"target IN {TARGETS}", name="target_known"),
        # One pinned item at most, held by the database.
        Index("uq_news_items_one_pinned", "pinned", unique=True, sqlite_where=text("pinned"),
              postgresql_where=text("pinned")),
        Index("ix_news_items_publish_at", "publish_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # sanitised HTML
    body_en: Mapped[str | None] = mapped_column(Text)
    target: Mapped[str] = mapped_column(String(12), default=EVERYONE)
    # Audience codes, group ids, company ids or region names, by `target`.
    target_values: Mapped[list] = mapped_column(JSON, default=list)
    publish_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]  # when its notifications (and mail copies) went out
    pinned: Mapped[bool] = mapped_column(default=False)
    must_read: Mapped[bool] = mapped_column(default=False)
    mail_copy: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by = relationship("User")

    @property
    def display_title(self) -> str:
        return in_locale(self.title, self.title_en)

    @property
    def display_body(self) -> str:
        return in_locale(self.body, self.body_en)


class NewsRead(db.Model):
    """A person opened a news item (kept for must-read announcements: their partner admin sees who did)."""

    __tablename__ = "news_reads"

    news_id: Mapped[int] = mapped_column(ForeignKey("news_items.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)
