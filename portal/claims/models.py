"""Sales claims: what a participant sold, on which invoice, and what became of it."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.extensions import db

DRAFT = "draft"
SUBMITTED = "submitted"
APPROVED = "approved"
REJECTED = "rejected"
REVERSED = "reversed"
STATUSES = (DRAFT, SUBMITTED, APPROVED, REJECTED, REVERSED)
STATUS_LABELS = {
    DRAFT: _l("Draft"),
    SUBMITTED: _l("Submitted"),
    APPROVED: _l("Approved"),
    REJECTED: _l("Rejected"),
    REVERSED: _l("Reversed"),
}
# The claim's state machine: from each state, the states it may move to.
TRANSITIONS = {
    DRAFT: {SUBMITTED},
    SUBMITTED: {APPROVED, REJECTED},
    APPROVED: {REVERSED},
    REJECTED: set(),
    REVERSED: set(),
}

REJECTION_REASONS = {
    "no_invoice": _l("The scan is missing or unreadable"),
    "mismatch": _l("The lines do not match the invoice"),
    "not_program_product": _l("The products are not in the program"),
    "duplicate": _l("This invoice has already been claimed"),
    "window": _l("The invoice is outside the claim window"),
    "other": _l("Other reason"),
}


class Claim(db.Model):
    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="status_known"),
        # The seller company's INN, the invoice number and date identify an invoice in any company.
        Index("ix_claims_invoice_identity", "seller_inn", "invoice_number_key", "invoice_date"),
        Index("ix_claims_status_submitted_at_id", "status", "submitted_at", "id"),  # the review queue
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The company the participant worked for when they made the claim (they may move later).
    company_id: Mapped[int] = mapped_column(ForeignKey("partner_companies.id"), index=True)
    seller_inn: Mapped[str] = mapped_column(String(12))
    invoice_number: Mapped[str] = mapped_column(String(64))
    invoice_number_key: Mapped[str] = mapped_column(String(64))  # upper case, no spaces: for duplicates
    invoice_date: Mapped[date] = mapped_column(Date)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_inn: Mapped[str | None] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(16), default=DRAFT, index=True)
    possible_duplicate: Mapped[bool] = mapped_column(default=False, index=True)
    total_kopecks: Mapped[int] = mapped_column(default=0)
    points: Mapped[int | None]  # credited on approval
    scan_path: Mapped[str | None] = mapped_column(String(255))
    scan_filename: Mapped[str | None] = mapped_column(String(255))
    scan_mimetype: Mapped[str | None] = mapped_column(String(64))
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The lead this sale closes (portal/leads), if any: every line of the claim is attributed to it.
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)

    user = relationship("User", foreign_keys=[user_id])
    company = relationship("PartnerCompany")
    lead = relationship("Lead")
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    lines = relationship("ClaimLine", back_populates="claim", order_by="ClaimLine.position",
                         cascade="all, delete-orphan")
    events = relationship("ClaimEvent", back_populates="claim", order_by="ClaimEvent.id")
    awards = relationship("ClaimAward", back_populates="claim", order_by="ClaimAward.id")

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def editable(self) -> bool:
        return self.status == DRAFT


class ClaimLine(db.Model):
    __tablename__ = "claim_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_kopecks > 0", name="price_positive"),
        CheckConstraint("unit_cost_kopecks >= 0", name="cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    position: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int]
    unit_price_kopecks: Mapped[int]
    # The product's cost when the line was written: later cost changes do not change old margins.
    unit_cost_kopecks: Mapped[int]

    claim = relationship(Claim, back_populates="lines")
    product = relationship("Product")

    @property
    def revenue_kopecks(self) -> int:
        return self.quantity * self.unit_price_kopecks

    @property
    def margin_kopecks(self) -> int:
        return self.quantity * (self.unit_price_kopecks - self.unit_cost_kopecks)


class ClaimEvent(db.Model):
    """The claim's history: each change of state, who made it and why."""

    __tablename__ = "claim_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    claim = relationship(Claim, back_populates="events")
    actor = relationship("User")

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


class ClaimAward(db.Model):
    """Which rule produced how many points for an approved claim: the explanation participants see."""

    __tablename__ = "claim_awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("earning_rules.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    points: Mapped[int]
    # How the points were computed (kind, units, base amount, percent, factor), shown translated.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    awarded_at: Mapped[datetime] = mapped_column(default=utcnow)

    claim = relationship(Claim, back_populates="awards")
    rule = relationship("EarningRule")


class ArticleMapping(db.Model):
    """A partner's own article of a product, as its UPDs name it: "our article X is your SKU Y". Learned from the
    participant's first choice on the claim form; the partner admin keeps the list."""

    __tablename__ = "article_mappings"
    __table_args__ = (
        UniqueConstraint("company_id", "article_key"),
        CheckConstraint("article_key <> ''", name="article_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("partner_companies.id"))
    article: Mapped[str] = mapped_column(String(100))
    article_key: Mapped[str] = mapped_column(String(100))  # upper case, no spaces: how articles are matched
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    product = relationship("Product")
    created_by = relationship("User")
