"""Partner companies, who works for which one and when, and invitations to join one."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.localized import in_locale
from portal.core.time import utcnow
from portal.extensions import db

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
COMPANY_STATUSES = (PENDING, APPROVED, REJECTED)
COMPANY_STATUS_LABELS = {
    PENDING: _l("Awaiting approval"),
    APPROVED: _l("Approved"),
    REJECTED: _l("Rejected"),
}


class PartnerCompany(db.Model):
    __tablename__ = "partner_companies"
    __table_args__ = (
        CheckConstraint(f"status IN {COMPANY_STATUSES}", name="status_known"),
        CheckConstraint("length(inn) IN (10, 12)", name="inn_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inn: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    region: Mapped[str] = mapped_column(String(120), default="")
    region_en: Mapped[str | None] = mapped_column(String(120))  # optional English name of the region
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))
    rejection_reason: Mapped[str | None] = mapped_column(String(500))

    staff = relationship("User", foreign_keys="User.company_id", back_populates="company")
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])

    @property
    def status_label(self) -> str:
        return str(COMPANY_STATUS_LABELS[self.status])

    @property
    def display_region(self) -> str:
        return in_locale(self.region, self.region_en)

    @property
    def is_approved(self) -> bool:
        return self.status == APPROVED

    def __repr__(self) -> str:
        return f"<PartnerCompany {self.inn} {self.name!r} {self.status}>"


class CompanyMembership(db.Model):
    """One stretch of time a person worked for a company. The open one (ended_at NULL) is the current one."""

    __tablename__ = "company_memberships"
    __table_args__ = (
        # At most one open membership per person, enforced by the database on both engines.
        Index(
            "uq_company_memberships_open",
            "user_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("partner_companies.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id])
    company = relationship(PartnerCompany)
    changed_by = relationship("User", foreign_keys=[changed_by_id])


class AudienceSpan(db.Model):
    """One stretch of time a person belonged to an audience ('manager' or 'specialist').

    The open span (ended_at NULL) is the current one, kept in step with users.audience. A change starts the new
    span at the beginning of the program's calendar day it is made; two changes on one day leave an empty span
    (ended_at = started_at) that no day reads, so the history still shows who changed what.
    """

    __tablename__ = "audience_spans"
    __table_args__ = (
        Index(
            "uq_audience_spans_open",
            "user_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        CheckConstraint("audience IN ('manager', 'specialist')", name="audience_known"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    audience: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: chosen at registration

    user = relationship("User", foreign_keys=[user_id])
    changed_by = relationship("User", foreign_keys=[changed_by_id])


class Invitation(db.Model):
    """A partner admin's invitation for a colleague to join the program in their company."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("partner_companies.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]

    company = relationship(PartnerCompany)
    invited_by = relationship("User", foreign_keys=[invited_by_id])

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > utcnow()


class PartnerGroup(db.Model):
    """A manager's grouping of partner companies ("Дилеры Москвы", "Интеграторы Gold"): by region, tier or type.

    Groups scope earning rules, contests (leagues), plans and reports. A company may be in several groups.
    """

    __tablename__ = "partner_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by = relationship("User")

    def __repr__(self) -> str:
        return f"<PartnerGroup {self.name!r}>"


class GroupMembership(db.Model):
    """One stretch of time a company belonged to a group. The open one (removed_at NULL) is current."""

    __tablename__ = "group_memberships"
    __table_args__ = (
        Index(
            "uq_group_memberships_open",
            "group_id",
            "company_id",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
        CheckConstraint("removed_at IS NULL OR removed_at >= added_at", name="removed_after_added"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("partner_groups.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("partner_companies.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    group = relationship(PartnerGroup)
    company = relationship(PartnerCompany)
