"""The stored risk of a claim, its scan's fingerprints, the two-reviewer hold, and the manager's thresholds."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from portal.claims.models import Claim
from portal.core.time import utcnow
from portal.extensions import db

# Bumped when the signals or their weights change: a score says which rules made it.
VERSION = 1

# Who else claimed a customer's INN lately (one of the signals) reads claims by customer INN.
Index("ix_claims_customer_inn_invoice_date", Claim.customer_inn, Claim.invoice_date)
# The company's latest claims (its invoice numbering, weekday habits, totals, pace and prices) are read newest first.
Index("ix_claims_company_id_submitted_at_id", Claim.company_id, Claim.submitted_at, Claim.id)


class ClaimRisk(db.Model):
    """One row per submitted claim: its score, the signals that made it, and the scan's fingerprints."""

    __tablename__ = "claim_risks"
    __table_args__ = (
        CheckConstraint("score >= 0 AND score <= 100", name="score_in_range"),
        CheckConstraint("held_by_id IS NULL OR held", name="holder_only_when_held"),
        Index("ix_claim_risks_score_claim_id", "score", "claim_id"),  # the queue: sort and "risk above N"
        # The few claims decided as fraud (the history signal reads them for every claim scored).
        Index("ix_claim_risks_fraud_claim_id", "claim_id", sqlite_where=text("fraud = 1"),
              postgresql_where=text("fraud")),
    )

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    score: Mapped[int] = mapped_column(default=0)
    # [{"code", "weight", "params", "claims"}], strongest first; explained in words when shown.
    signals: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(default=VERSION)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The scan's fingerprints: the file's SHA-256 and, for images, a 64-bit perceptual hash in four 16-bit bands
    # (a near-duplicate shares at least one band when at most three bits differ).
    scan_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    scan_phash: Mapped[str | None] = mapped_column(String(16))
    phash_band0: Mapped[str | None] = mapped_column(String(4), index=True)
    phash_band1: Mapped[str | None] = mapped_column(String(4), index=True)
    phash_band2: Mapped[str | None] = mapped_column(String(4), index=True)
    phash_band3: Mapped[str | None] = mapped_column(String(4), index=True)
    # For a PDF, a 64-bit similarity hash of its text (simhash over word pairs) in four 16-bit bands, the same way.
    text_simhash: Mapped[str | None] = mapped_column(String(16))
    text_band0: Mapped[str | None] = mapped_column(String(4), index=True)
    text_band1: Mapped[str | None] = mapped_column(String(4), index=True)
    text_band2: Mapped[str | None] = mapped_column(String(4), index=True)
    text_band3: Mapped[str | None] = mapped_column(String(4), index=True)
    # Held for two reviewers; held_by is the first reviewer (who then cannot approve it).
    held: Mapped[bool] = mapped_column(default=False)
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    held_at: Mapped[datetime | None]
    # The reviewer decided the claim was fraud (rejected or reversed as fraud): later scores read it.
    fraud: Mapped[bool] = mapped_column(default=False)
    fraud_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    fraud_at: Mapped[datetime | None]

    # `claim.risk` for the lists and pages that show the score (claims never import this module).
    claim = relationship(Claim, backref=backref("risk", uselist=False, lazy="select"))
    held_by = relationship("User", foreign_keys=[held_by_id])
    fraud_by = relationship("User", foreign_keys=[fraud_by_id])

    def top_signals(self, count: int = 3) -> list[dict]:
        return list(self.signals or [])[:count]


class FraudSettings(db.Model):
    """The manager's thresholds (one row)."""

    __tablename__ = "fraud_settings"
    __table_args__ = (
        CheckConstraint("bulk_max_score >= 0 AND bulk_max_score < hold_score AND hold_score <= 100",
                        name="thresholds_ordered"),
        CheckConstraint("large_sale_kopecks > 0", name="large_sale_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    # A claim scoring at most this may be approved in bulk.
    bulk_max_score: Mapped[int] = mapped_column(default=20, server_default="20")
    # A claim scoring this or more is held for a second reviewer.
    hold_score: Mapped[int] = mapped_column(default=50, server_default="50")
    # A "large" sale: a new participant's first claims above it, claims just under it.
    large_sale_kopecks: Mapped[int] = mapped_column(default=30_000_000, server_default="30000000")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
