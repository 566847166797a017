"""API keys, the idempotency of API requests, and the partner's own document id of a claim."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.extensions import db

# What a partner company's key may do: its own company's data only.
COMPANY_SCOPES = {
    "claims:write": _l("Submit sales claims"),
    "claims:read": _l("Read the company's claims"),
    "points:read": _l("Read the points and statements of the company's people"),
    "catalogue:read": _l("Read the product catalogue"),
    "leads:write": _l("Register leads and attach their files"),
    "leads:read": _l("Read the company's leads with their states and history"),
}
# What a program-wide key of the program team may do.
PROGRAM_SCOPES = {
    "queue:read": _l("Read the review queue and any claim"),
    "claims:review": _l("Approve and reject claims"),
    "participants:read": _l("Read participants, their points and statements"),
    "orders:read": _l("Read shop orders and their states"),
    "leads:review": _l("Read the lead review queue; qualify, reject, mark won or lost"),
}

# Presets of the new-key form: the scopes a typical system needs (those of the creator's kind of key are offered).
PRESETS = {
    "1c": (_l("1C: post sales"), ("claims:write", "claims:read", "catalogue:read")),
    "crm": (_l("CRM: leads"), ("leads:write", "leads:read")),
    "read": (_l("Read only"), ("claims:read", "points:read", "catalogue:read", "leads:read", "queue:read",
                               "participants:read", "orders:read")),
}

RUNNING = "running"
DONE = "done"


class ApiKey(db.Model):
    """A secret a partner system sends as `Authorization: Bearer ...`. Only its SHA-256 is stored."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("length(token_hash) = 64", name="hash_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL: a program-wide key of the program team.
    company_id: Mapped[int | None] = mapped_column(ForeignKey("partner_companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # the token's first characters, to recognise it
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    company = relationship("PartnerCompany")
    created_by = relationship("User", foreign_keys=[created_by_id])
    revoked_by = relationship("User", foreign_keys=[revoked_by_id])

    @property
    def scope_set(self) -> set[str]:
        return set(self.scopes.split())

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def program_wide(self) -> bool:
        return self.company_id is None


class IdempotentRequest(db.Model):
    """The first POST made with an Idempotency-Key: inserted before the work, so the unique key picks one winner."""

    __tablename__ = "api_idempotent_requests"
    __table_args__ = (
        UniqueConstraint("api_key_id", "key"),
        CheckConstraint(f"status IN {(RUNNING, DONE)}", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=RUNNING)
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    completed_at: Mapped[datetime | None]


class ClaimReference(db.Model):
    """The partner's own id of a claim's document (from 1C or another ERP): one claim per id in a company.

    Kept beside the claim rather than on it, so the claims table stays the claims feature's own.
    """

    __tablename__ = "api_claim_references"
    __table_args__ = (UniqueConstraint("company_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("partner_companies.id"))
    external_id: Mapped[str] = mapped_column(String(100))
    # A draft deleted by its author frees its document id.
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    claim = relationship("Claim")


class LeadReference(db.Model):
    """The partner's own id of a lead (from their CRM): one lead per id in a company, so a resend is safe."""

    __tablename__ = "api_lead_references"
    __table_args__ = (UniqueConstraint("company_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("partner_companies.id"))
    external_id: Mapped[str] = mapped_column(String(100))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lead = relationship("Lead")
