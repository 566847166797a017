"""KPI plan tables: stages, targets with their revisions, maintained counters, closed stages' results,
distinct people per stage (for shares), and report subscriptions with one delivery per period."""

import functools
from datetime import date, datetime

import flask_babel
from babel import dates as babel_dates
from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from portal.auth.models import User
from portal.core.time import utcnow
from portal.extensions import db

# Scopes a target or a counter belongs to. The program's key is ''. A group has counters of its own: an event
# counts for the groups its company belonged to on the event's day (partners/history.py group_ids_on).
PROGRAM, GROUP, COMPANY, AUDIENCE, REGION = "program", "group", "company", "audience", "region"
SCOPES = (PROGRAM, GROUP, COMPANY, AUDIENCE, REGION)
COUNTER_SCOPES = SCOPES

# What the counters count in a stage and scope (money in kopecks).
COUNTER_METRICS = (
    "registered", "moved_in", "moved_out", "claims_approved", "sales_amount", "margin", "units",
    "courses_passed", "leads_qualified", "points_issued", "points_redeemed", "points_expired",
    "active_people", "new_active", "trained_people", "new_trained",
    # People whose first approved sale (passed course) in the scope is in the stage: summed over stages, the
    # distinct people who sold (were trained) in the scope in those stages.
    "first_selling", "first_trained",
)

DAILY, WEEKLY, MONTHLY = "daily", "weekly", "monthly"
REPORT_KINDS = (DAILY, WEEKLY, MONTHLY)


@functools.lru_cache(maxsize=512)
def _month_names(day: date) -> frozenset[str]:
    return frozenset(babel_dates.format_date(day, "LLLL y", locale=locale).capitalize() for locale in ("ru", "en"))


class KpiStage(db.Model):
    """One stage of the program (a month by default, or custom dates). Stages never overlap (checked by the
    service); `closed_at` marks a stage whose actuals are stored in KpiStageResult."""

    __tablename__ = "kpi_stages"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="stage_ordered"),
        CheckConstraint("budget_kopecks >= 0", name="budget_not_negative"),
        UniqueConstraint("starts_on", name="uq_kpi_stages_starts_on"),
        Index("ix_kpi_stages_dates", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stored_name: Mapped[str] = mapped_column("name", String(60))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # The prize fund planned for the stage, in kopecks.
    budget_kopecks: Mapped[int] = mapped_column(BigInteger, default=0)
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    @property
    def name(self) -> str:
        """A month stage reads in the reader's language ("Апрель 2026", "April 2026") whichever language it was
        created in; a custom stage keeps the name it was given."""
        if self.starts_on is not None and self.stored_name in _month_names(self.starts_on):
            return flask_babel.format_date(self.starts_on, "LLLL y").capitalize()
        return self.stored_name

    @name.setter
    def name(self, value: str) -> None:
        self.stored_name = value

    def __repr__(self) -> str:
        return f"<KpiStage {self.starts_on}..{self.ends_on}>"


class KpiTarget(db.Model):
    """A target for one KPI, in one stage (or the program total when stage_id is NULL), for one scope.

    Counts (and share KPIs' stage targets: a number of people) are plain numbers, money in kopecks; a share
    KPI's program total is a percentage in hundredths (6000 = 60%). `original` is the first target entered."""

    __tablename__ = "kpi_targets"
    __table_args__ = (
        CheckConstraint("target >= 0", name="target_not_negative"),
        CheckConstraint(f"scope_kind IN {SCOPES}", name="scope_known"),
        Index("uq_kpi_targets_stage", "kpi", "stage_id", "scope_kind", "scope_key", unique=True,
              sqlite_where=text("stage_id IS NOT NULL"), postgresql_where=text("stage_id IS NOT NULL")),
        Index("uq_kpi_targets_total", "kpi", "scope_kind", "scope_key", unique=True,
              sqlite_where=text("stage_id IS NULL"), postgresql_where=text("stage_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi: Mapped[str] = mapped_column(String(30))
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_stages.id", ondelete="CASCADE"), index=True)
    scope_kind: Mapped[str] = mapped_column(String(10), default=PROGRAM)
    scope_key: Mapped[str] = mapped_column(String(120), default="")
    target: Mapped[int] = mapped_column(BigInteger)
    original: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    stage = relationship(KpiStage)
    updated_by = relationship("User")


class KpiPlanRevision(db.Model):
    """Every change of a target: before and after, who, when and how (grid or import)."""

    __tablename__ = "kpi_plan_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi: Mapped[str] = mapped_column(String(30))
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_stages.id", ondelete="CASCADE"))
    scope_kind: Mapped[str] = mapped_column(String(10))
    scope_key: Mapped[str] = mapped_column(String(120))
    old_target: Mapped[int | None] = mapped_column(BigInteger)
    new_target: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(10), default="grid")
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    stage = relationship(KpiStage)
    changed_by = relationship("User")


class _Counts:
    """The counters' columns, shared by the live counters and the closed stages' stored results."""

    @declared_attr
    def stage_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("kpi_stages.id", ondelete="CASCADE"))

    scope_kind: Mapped[str] = mapped_column(String(10))
    scope_key: Mapped[str] = mapped_column(String(120))


for _metric in COUNTER_METRICS:
    setattr(_Counts, _metric, mapped_column(_metric, BigInteger, default=0, server_default="0"))
    _Counts.__annotations__[_metric] = Mapped[int]


class KpiCounter(_Counts, db.Model):
    """Actuals per stage and scope, kept up to date by the domain events' receivers (kpi/events.py) in the
    sender's transaction; `flask --app wsgi portal kpi recompute` rebuilds them from the source tables."""

    __tablename__ = "kpi_counters"
    __table_args__ = (UniqueConstraint("stage_id", "scope_kind", "scope_key", name="uq_kpi_counters_scope"),
                      # companies with a seller per stage, counted from the index alone
                      Index("ix_kpi_counters_selling", "stage_id", "scope_kind", "active_people"))

    id: Mapped[int] = mapped_column(primary_key=True)


class KpiStageResult(_Counts, db.Model):
    """A closed stage's actuals as stored when it closed (or when it was last recalculated with a reason)."""

    __tablename__ = "kpi_stage_results"
    __table_args__ = (UniqueConstraint("stage_id", "scope_kind", "scope_key", name="uq_kpi_stage_results_scope"),
                      Index("ix_kpi_stage_results_selling", "stage_id", "scope_kind", "active_people"))

    id: Mapped[int] = mapped_column(primary_key=True)


# The figures the company and group lists rank and show, kept summed over the stages (KpiScopeTotal).
TOTALED = ("registered", "sales_amount", "claims_approved", "first_selling", "first_trained")
TOTALED_SCOPES = (COMPANY, GROUP)


class KpiScopeTotal(db.Model):
    """A company's or group's figures summed over every stage as the pages read them (the stored results of a closed
    stage, the live counters of the others), so the lists rank a row per company, not a row per company and stage.
    Kept by the counters' receivers in the same transaction, and rebuilt from the counters and stored results
    when a stage closes, is recalculated or deleted, and by every recompute (aggregates.rebuild_totals)."""

    __tablename__ = "kpi_scope_totals"
    __table_args__ = (CheckConstraint(f"scope_kind IN {TOTALED_SCOPES}", name="scope_totaled"),)

    scope_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(120), primary_key=True)


for _metric in TOTALED:
    setattr(KpiScopeTotal, _metric, mapped_column(_metric, BigInteger, default=0, server_default="0"))


class KpiPointsDay(db.Model):
    """Points issued (issuance and adjustments, net of reversals) per day of the program's calendar, kept from the
    ledger's postings in their own transaction: the budget's run rate reads 30 rows, not the ledger's entries."""

    __tablename__ = "kpi_points_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    issued: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class KpiPersonScope(db.Model):
    """Distinct people: how many approved sales and passed courses a person has in a stage, in each scope their
    events counted for (the program, the company, its region, the audience and the groups of the event's day).
    The people counters (selling, first sale, trained) are derived from these rows, never from averages."""

    __tablename__ = "kpi_person_scopes"
    __table_args__ = (
        UniqueConstraint("stage_id", "user_id", "scope_kind", "scope_key", name="uq_kpi_person_scope"),
        CheckConstraint("sales >= 0 AND courses >= 0", name="counts_not_negative"),
        CheckConstraint(f"scope_kind IN {SCOPES}", name="scope_known"),
        Index("ix_kpi_person_scopes_user", "user_id", "stage_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("kpi_stages.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scope_kind: Mapped[str] = mapped_column(String(10))
    scope_key: Mapped[str] = mapped_column(String(120))
    sales: Mapped[int] = mapped_column(default=0)
    courses: Mapped[int] = mapped_column(default=0)


class KpiStageLog(db.Model):
    """Closing a stage and every recalculation of a closed one, with the reason."""

    __tablename__ = "kpi_stage_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("kpi_stages.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(12))  # closed, recalculated
    reason: Mapped[str] = mapped_column(String(500), default="")
    changes: Mapped[dict] = mapped_column(JSON, default=dict)  # program-level metric: [before, after]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    stage = relationship(KpiStage)
    actor = relationship("User")


class KpiSubscription(db.Model):
    __tablename__ = "kpi_subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", name="uq_kpi_subscriptions_user_kind"),
        CheckConstraint(f"kind IN {REPORT_KINDS}", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")


class KpiReportDelivery(db.Model):
    """One report per recipient, kind and period: the row is claimed (inserted) before the mail is written,
    so a second run of the job at the same moment fails on the unique constraint and sends nothing."""

    __tablename__ = "kpi_report_deliveries"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "period_start", name="uq_kpi_report_once"),
        CheckConstraint(f"kind IN {REPORT_KINDS}", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    # The program-level numbers the report showed, for "change since the last report".
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


def _index_registrations() -> None:
    """Registrations by date (the level KPIs count people registered before the first stage): an index on
    users.created_at, declared here so that the accounts' model stays as it is."""
    Index("ix_kpi_users_created_at", User.__table__.c.created_at)
    # The levels' starting point (people registered before the first stage) is counted from this index alone.
    Index("ix_kpi_users_role_created_at", User.__table__.c.role, User.__table__.c.created_at)


_index_registrations()
