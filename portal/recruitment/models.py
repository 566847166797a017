"""A recruitment campaign, the companies it invites (one contact each) with the moments of their funnel steps,
and the addresses that asked for no more recruitment mail."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.extensions import db

ACTIVE, PAUSED = "active", "paused"
CAMPAIGN_STATUSES = (ACTIVE, PAUSED)

# Why a company gets no more mail (its funnel goes on: the steps after registering are still recorded).
REGISTERED, UNSUBSCRIBED = "registered", "unsubscribed"
STOP_REASONS = (REGISTERED, UNSUBSCRIBED)
MAX_REMINDERS = 2

# The funnel, in order: each step is a moment column of the invitee.
STEPS = ("invited", "opened", "registered", "confirmed", "approved", "first_sale", "first_course")


class RecruitmentCampaign(db.Model):
    __tablename__ = "recruitment_campaigns"
    __table_args__ = (CheckConstraint(f"status IN {CAMPAIGN_STATUSES}", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    created_by = relationship("User")


class RecruitmentInvitee(db.Model):
    """A company a campaign invites, through one contact, and when it reached each step of the funnel."""

    __tablename__ = "recruitment_invitees"
    __table_args__ = (
        UniqueConstraint("campaign_id", "inn"),
        CheckConstraint(f"reminders BETWEEN 0 AND {MAX_REMINDERS}", name="reminders_range"),
        CheckConstraint(f"stopped IS NULL OR stopped IN {STOP_REASONS}", name="stopped_known"),
        CheckConstraint("length(inn) IN (10, 12)", name="inn_length"),
        Index("ix_recruitment_invitees_campaign_id_id", "campaign_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("recruitment_campaigns.id", ondelete="CASCADE"))
    row_number: Mapped[int]  # the row of the uploaded file
    inn: Mapped[str] = mapped_column(String(12), index=True)
    company_name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(120), default="")
    contact_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), index=True)
    locale: Mapped[str] = mapped_column(String(5), default="ru")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("partner_groups.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("partner_companies.id"), index=True)
    stopped: Mapped[str | None] = mapped_column(String(16))
    reminders: Mapped[int] = mapped_column(default=0)
    reminded_at: Mapped[datetime | None] = mapped_column(index=True)
    invited_at: Mapped[datetime | None] = mapped_column(index=True)
    opened_at: Mapped[datetime | None]
    registered_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    first_sale_at: Mapped[datetime | None]
    first_course_at: Mapped[datetime | None]

    campaign = relationship(RecruitmentCampaign)
    group = relationship("PartnerGroup")

    def reached(self, step: str) -> datetime | None:
        return getattr(self, f"{step}_at")


class RecruitmentOptOut(db.Model):
    """An address that unsubscribed from recruitment mail: no campaign writes to it again."""

    __tablename__ = "recruitment_opt_outs"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(default=utcnow)
