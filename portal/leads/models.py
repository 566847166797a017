"""Leads (deal registration): a participant registers a customer's deal, the program qualifies it and
protects it for a while, and rewards it once qualified and again for the sales it brings."""

from datetime import date, datetime
from decimal import Decimal

from flask_babel import get_locale, lazy_pgettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from portal.core.time import utcnow
from portal.extensions import db

SUBMITTED = "submitted"
QUALIFIED = "qualified"
REJECTED = "rejected"
WON = "won"
LOST = "lost"
EXPIRED = "expired"
STATUSES = (SUBMITTED, QUALIFIED, REJECTED, WON, LOST, EXPIRED)
# "lead" context: a lead is masculine in Russian, a claim (заявка) feminine.
STATUS_LABELS = {
    SUBMITTED: lazy_pgettext("lead", "Submitted"),
    QUALIFIED: lazy_pgettext("lead", "Qualified"),
    REJECTED: lazy_pgettext("lead", "Rejected"),
    WON: lazy_pgettext("lead", "Won"),
    LOST: lazy_pgettext("lead", "Lost"),
    EXPIRED: lazy_pgettext("lead", "Expired"),
}
# The lead's state machine: from each state, the states it may move to.
TRANSITIONS = {
    SUBMITTED: {QUALIFIED, REJECTED},
    QUALIFIED: {WON, LOST, EXPIRED},
    REJECTED: set(),
    WON: set(),
    LOST: set(),
    EXPIRED: set(),
}
# A lead in these states is under way: files may still be added. Who holds the customer is `Lead.holder_inn`
# (portal/leads/holders.py): these states, and a won lead for a while.
ACTIVE = (SUBMITTED, QUALIFIED)
# Sales may be attributed to a lead in these states.
ATTRIBUTABLE = (QUALIFIED, WON)

REJECTION_REASONS = {
    "conflict": _l("The customer is already registered by another partner"),
    "duplicate": _l("The same lead is already registered"),
    "incomplete": _l("The contact or the need is not clear enough"),
    "existing_customer": _l("The customer already buys from the vendor directly"),
    "not_target": _l("The customer is outside the program"),
    "other": _l("Other reason"),
}

# History entries besides state moves.
EXTENSION_REQUESTED = "extension_requested"
EXTENDED = "extended"
REMINDED = "reminded"
ATTRIBUTED = "attributed"
RELEASED = "released"  # a won lead's protection ended: the customer is free again
EVENT_LABELS = {
    **STATUS_LABELS,
    SUBMITTED: lazy_pgettext("lead", "Registered"),
    EXTENSION_REQUESTED: _l("Extension of protection requested"),
    EXTENDED: _l("Protection extended"),
    REMINDED: _l("Reminder sent"),
    ATTRIBUTED: _l("Sale attributed"),
    RELEASED: _l("Protection ended"),
}

# A won customer stays with the partner who won it this long after the win (at least until its protection date),
# unless the program's lead settings say otherwise.
WON_PROTECTION_DAYS = 180

QUALIFIED_REWARD = "qualified"
SALE_SHARE = "share"
REVENUE = "revenue"
MARGIN = "margin"
REWARD_KINDS = ("fixed", "revenue_pct", "margin_pct")
REWARD_KIND_LABELS = {
    "fixed": _l("Fixed points per qualified lead"),
    "revenue_pct": _l("Percent of attributed revenue"),
    "margin_pct": _l("Percent of attributed margin"),
}


class LeadChannel(db.Model):
    """Where leads come from: a dictionary managers keep, named in both languages."""

    __tablename__ = "lead_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_ru: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def name(self) -> str:
        return self.name_en if str(get_locale() or "ru") == "en" and self.name_en else self.name_ru


class LeadSettings(db.Model):
    """How long leads are protected, extended and attributed, and what a lead may cost: one row."""

    __tablename__ = "lead_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("protection_days > 0", name="protection_positive"),
        CheckConstraint("extension_days > 0 AND max_extensions >= 0", name="extensions_valid"),
        CheckConstraint("attribution_days > 0", name="attribution_positive"),
        CheckConstraint("won_protection_days > 0", name="won_protection_positive"),
        CheckConstraint("max_cost_per_lead_kopecks IS NULL OR max_cost_per_lead_kopecks >= 0", name="cost_cap_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    protection_days: Mapped[int] = mapped_column(default=30)
    extension_days: Mapped[int] = mapped_column(default=30)
    max_extensions: Mapped[int] = mapped_column(default=2)
    # A won customer stays with its lead this many days after the win (never less than its protection date).
    won_protection_days: Mapped[int] = mapped_column(default=WON_PROTECTION_DAYS)
    # Sales invoiced from the lead's registration until this many days after qualification count for it.
    attribution_days: Mapped[int] = mapped_column(default=90)
    # The most a qualified lead's fixed reward may cost the program, in kopecks (NULL: no cap).
    max_cost_per_lead_kopecks: Mapped[int | None] = mapped_column(default=100_000)
    # Days before protection ends when the participant is reminded, e.g. [7, 1].
    reminder_days: Mapped[list] = mapped_column(JSON, default=lambda: [7, 1])


class LeadRewardRule(db.Model):
    """Points for leads: fixed per qualified lead, or a percent of the revenue or margin it brings.

    Scoped by source channel and product category (empty: any). Of the rules of a kind matching a lead
    (or a sale line) the most specific one applies."""

    __tablename__ = "lead_reward_rules"
    __table_args__ = (
        CheckConstraint(f"kind IN {REWARD_KINDS}", name="kind_known"),
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("kind = 'fixed' OR value <= 100", name="percent_at_most_100"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("lead_channels.id"))
    category: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    channel = relationship(LeadChannel)

    @property
    def kind_label(self) -> str:
        return str(REWARD_KIND_LABELS[self.kind])


class Lead(db.Model):
    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="status_known"),
        CheckConstraint("estimated_kopecks >= 0", name="estimate_not_negative"),
        CheckConstraint("extensions_used >= 0", name="extensions_not_negative"),
        CheckConstraint("reward_points >= 0", name="reward_not_negative"),
        CheckConstraint("status != 'qualified' OR protected_until IS NOT NULL", name="qualified_is_protected"),
        # On SQLite two triggers hold this (migration 0024): a table referenced by others is not rebuilt there.
        CheckConstraint("holder_inn IS NULL OR (holder_inn = customer_inn AND status IN ('submitted', 'qualified', "
                        "'won'))", name="holder_is_holding"),
        Index("ix_leads_name_region", "name_key", "region_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The company the participant worked for when they registered the lead.
    company_id: Mapped[int] = mapped_column(ForeignKey("partner_companies.id"), index=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))  # no legal form, quotes, case or spaces
    customer_inn: Mapped[str] = mapped_column(String(12), index=True)
    customer_kpp: Mapped[str | None] = mapped_column(String(9))
    region: Mapped[str] = mapped_column(String(120))
    region_key: Mapped[str] = mapped_column(String(120))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(16), index=True)  # E.164
    contact_email: Mapped[str | None] = mapped_column(String(254))
    email_domain: Mapped[str | None] = mapped_column(String(254), index=True)  # NULL for public mail services
    need: Mapped[str] = mapped_column(String(1000))
    category: Mapped[str | None] = mapped_column(String(100))
    estimated_kopecks: Mapped[int] = mapped_column(default=0)
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    channel_id: Mapped[int] = mapped_column(ForeignKey("lead_channels.id"), index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=SUBMITTED, index=True)
    # The customer's INN while this lead holds the customer, else NULL; unique, so one holder per customer
    # whatever the concurrency (portal/leads/holders.py).
    holder_inn: Mapped[str | None] = mapped_column(String(12), unique=True, index=True)
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    # The active lead that made this one a conflict, for managers to compare.
    conflict_lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    qualified_at: Mapped[datetime | None] = mapped_column(index=True)
    qualified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    protected_until: Mapped[datetime | None] = mapped_column(index=True)
    extensions_used: Mapped[int] = mapped_column(default=0)
    extension_requested_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reward_points: Mapped[int] = mapped_column(default=0)

    user = relationship("User", foreign_keys=[user_id])
    company = relationship("PartnerCompany")
    channel = relationship(LeadChannel)
    qualified_by = relationship("User", foreign_keys=[qualified_by_id])
    conflict_lead = relationship("Lead", remote_side=[id])
    events = relationship("LeadEvent", back_populates="lead", order_by="LeadEvent.id")
    attachments = relationship("LeadAttachment", back_populates="lead", order_by="LeadAttachment.id")
    awards = relationship("LeadAward", back_populates="lead", order_by="LeadAward.id")

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_protected(self) -> bool:
        """Qualified or won, and still holding its customer."""
        return self.status in (QUALIFIED, WON) and self.holder_inn is not None


class LeadEvent(db.Model):
    """The lead's history: each change of state or protection, who made it and why."""

    __tablename__ = "lead_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lead = relationship(Lead, back_populates="events")
    actor = relationship("User")

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.action, self.action))


class LeadAttachment(db.Model):
    __tablename__ = "lead_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    path: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    mimetype: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lead = relationship(Lead, back_populates="attachments")


class LeadReminder(db.Model):
    """A reminder sent before protection ends: once per lead, protection end and reminder."""

    __tablename__ = "lead_reminders"
    __table_args__ = (UniqueConstraint("lead_id", "protected_until", "days_before", name="once_per_lead_and_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    protected_until: Mapped[datetime]
    days_before: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeadAward(db.Model):
    """Points a lead earned: the fixed reward on qualification, and a share of each attributed sale.

    `key` is the ledger transaction's idempotency key: one award per key, whatever the concurrency."""

    __tablename__ = "lead_awards"
    __table_args__ = (
        CheckConstraint(f"kind IN ('{QUALIFIED_REWARD}', '{SALE_SHARE}')", name="kind_known"),
        CheckConstraint("points > 0", name="points_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("lead_reward_rules.id"))
    points: Mapped[int]
    # How the points were computed (rule, percent, base amount, cap), shown translated.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    awarded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    reversed_at: Mapped[datetime | None]

    lead = relationship(Lead, back_populates="awards")
    rule = relationship(LeadRewardRule)
    # The claim page lists the lead awards of its claim through this backref.
    claim = relationship("Claim", backref=backref("lead_awards", order_by="LeadAward.id"))
