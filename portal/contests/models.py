"""Contests: a period, a metric, who takes part, leagues, prizes per place; live scores and fixed winners."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.localized import in_locale
from portal.core.time import utcnow
from portal.extensions import db

# --- states ----------------------------------------------------------------------------------------
DRAFT = "draft"
SCHEDULED = "scheduled"
RUNNING = "running"
FROZEN = "frozen"
FINISHED = "finished"  # the period is over; results are under review
FINALISED = "finalised"
CANCELLED = "cancelled"
STATUSES = (DRAFT, SCHEDULED, RUNNING, FROZEN, FINISHED, FINALISED, CANCELLED)
STATUS_LABELS = {
    DRAFT: _l("Draft"),
    SCHEDULED: _l("Upcoming"),
    RUNNING: _l("Running"),
    FROZEN: _l("Board frozen"),
    FINISHED: _l("Results under review"),
    FINALISED: _l("Results final"),
    CANCELLED: _l("Cancelled"),
}
# The contest's state machine: from each state, the states it may move to. The clock drives
# scheduled -> running -> frozen -> finished; people drive the rest (a manager may also freeze a running
# contest by hand, and unfreeze a frozen one).
TRANSITIONS = {
    DRAFT: {SCHEDULED, CANCELLED},
    SCHEDULED: {DRAFT, RUNNING, CANCELLED},
    RUNNING: {FROZEN, FINISHED, CANCELLED},
    FROZEN: {RUNNING, FINISHED, CANCELLED},
    FINISHED: {FINALISED, CANCELLED},
    FINALISED: set(),
    CANCELLED: set(),
}
# States in which scores are kept up to date by events (drafts get theirs when published). Once the
# results are final the scores stop moving with the winners; later reversals are listed from the source.
SCORED_STATES = (SCHEDULED, RUNNING, FROZEN, FINISHED)
LIVE_STATES = (RUNNING, FROZEN)

# --- metrics ---------------------------------------------------------------------------------------
SALES_AMOUNT = "sales_amount"
UNITS = "units"
MARGIN = "margin"
POINTS = "points"
APPROVED_CLAIMS = "approved_claims"
PLAN_PERCENT = "plan_percent"
COURSES_PASSED = "courses_passed"
QUALIFIED_LEADS = "qualified_leads"
METRICS = (SALES_AMOUNT, UNITS, MARGIN, POINTS, APPROVED_CLAIMS, PLAN_PERCENT, COURSES_PASSED, QUALIFIED_LEADS)
METRIC_LABELS = {
    SALES_AMOUNT: _l("Sales amount"),
    UNITS: _l("Units sold"),
    MARGIN: _l("Margin"),
    POINTS: _l("Points earned from sales"),
    APPROVED_CLAIMS: _l("Approved sales"),
    PLAN_PERCENT: _l("Personal sales plan completion"),
    COURSES_PASSED: _l("Courses passed"),
    QUALIFIED_LEADS: _l("Qualified leads"),
}
CLAIM_METRICS = (SALES_AMOUNT, UNITS, MARGIN, POINTS, APPROVED_CLAIMS, PLAN_PERCENT)
MONEY_METRICS = (SALES_AMOUNT, MARGIN)
PLAN_METRICS = (SALES_AMOUNT, UNITS, MARGIN, APPROVED_CLAIMS)  # what a plan % contest measures against

# --- who takes part --------------------------------------------------------------------------------
AUTO = "auto"
OPT_IN = "opt_in"
ENROLMENTS = (AUTO, OPT_IN)
ENROLMENT_LABELS = {AUTO: _l("Automatic: everyone who fits takes part"),
                    OPT_IN: _l("Opt-in: participants press «Take part»")}
LATE_WELCOME = "welcome"
LATE_EXCLUDED = "excluded"
LATE_POLICIES = (LATE_WELCOME, LATE_EXCLUDED)
LATE_LABELS = {
    LATE_WELCOME: _l("People who join the program during the contest take part from their first result"),
    LATE_EXCLUDED: _l("Only people registered before the start take part"),
}

SINGLE = "single"
BY_GROUP = "group"
BY_AUDIENCE = "audience"
LEAGUE_MODES = (SINGLE, BY_GROUP, BY_AUDIENCE)
LEAGUE_MODE_LABELS = {SINGLE: _l("One board for everyone"), BY_GROUP: _l("One board per partner group"),
                      BY_AUDIENCE: _l("One board per audience")}

FIRST_REACHED = "first_reached"
TIE_BREAKS = (FIRST_REACHED,)
TIE_BREAK_LABELS = {FIRST_REACHED: _l("Equal values: whoever reached the value first ranks higher, "
                                      "then the earlier registered participant")}

MAX_WINNERS = 100


class Contest(db.Model):
    __tablename__ = "contests"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="status_known"),
        CheckConstraint(f"metric IN {METRICS}", name="metric_known"),
        CheckConstraint(f"enrolment IN {ENROLMENTS}", name="enrolment_known"),
        CheckConstraint(f"late_joiners IN {LATE_POLICIES}", name="late_joiners_known"),
        CheckConstraint(f"league_mode IN {LEAGUE_MODES}", name="league_mode_known"),
        CheckConstraint(f"tie_break IN ({', '.join(map(repr, TIE_BREAKS))})", name="tie_break_known"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("freeze_at IS NULL OR (freeze_at > starts_at AND freeze_at < ends_at)",
                        name="freeze_inside_period"),
        CheckConstraint(f"winners_per_league BETWEEN 1 AND {MAX_WINNERS}", name="winners_bounded"),
        CheckConstraint("min_value >= 0", name="min_value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # may change while running
    rules: Mapped[str] = mapped_column(Text, default="")  # fixed once the contest runs
    title_en: Mapped[str | None] = mapped_column(String(200))  # optional English versions; Russian when empty
    description_en: Mapped[str | None] = mapped_column(Text)
    rules_en: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    freeze_at: Mapped[datetime | None]
    metric: Mapped[str] = mapped_column(String(20))
    plan_metric: Mapped[str | None] = mapped_column(String(20))  # for PLAN_PERCENT
    product_ids: Mapped[list] = mapped_column(JSON, default=list)  # empty: every product
    categories: Mapped[list] = mapped_column(JSON, default=list)
    audience: Mapped[str | None] = mapped_column(String(16))  # None: everyone
    group_ids: Mapped[list] = mapped_column(JSON, default=list)
    company_ids: Mapped[list] = mapped_column(JSON, default=list)
    enrolment: Mapped[str] = mapped_column(String(10), default=AUTO)
    late_joiners: Mapped[str] = mapped_column(String(10), default=LATE_WELCOME)
    league_mode: Mapped[str] = mapped_column(String(10), default=SINGLE)
    winners_per_league: Mapped[int] = mapped_column(default=3)
    # One entry per place: {"points": int, "text": str}. Points go through the ledger; text describes a prize.
    prizes: Mapped[list] = mapped_column(JSON, default=list)
    min_value: Mapped[int] = mapped_column(BigInteger, default=0)
    tie_break: Mapped[str] = mapped_column(String(20), default=FIRST_REACHED)
    status: Mapped[str] = mapped_column(String(12), default=DRAFT, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    frozen_at: Mapped[datetime | None]  # when the freeze snapshot was taken (as of freeze_at)
    finalised_at: Mapped[datetime | None]
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    start_mailed_at: Mapped[datetime | None]
    results_mailed_at: Mapped[datetime | None]

    leagues = relationship("ContestLeague", back_populates="contest", order_by="ContestLeague.position",
                           cascade="all, delete-orphan")
    created_by = relationship("User", foreign_keys=[created_by_id])
    finalised_by = relationship("User", foreign_keys=[finalised_by_id])

    @property
    def display_title(self) -> str:
        return in_locale(self.title, self.title_en)

    @property
    def display_description(self) -> str:
        return in_locale(self.description, self.description_en)

    @property
    def display_rules(self) -> str:
        return in_locale(self.rules, self.rules_en)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def metric_label(self) -> str:
        return str(METRIC_LABELS[self.metric])

    def prize_for(self, place: int) -> dict:
        prizes = self.prizes or []
        return prizes[place - 1] if place <= len(prizes) else {"points": 0, "text": ""}


class ContestLeague(db.Model):
    """One board of a contest: everyone, one partner group, or one audience."""

    __tablename__ = "contest_leagues"
    __table_args__ = (UniqueConstraint("contest_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    position: Mapped[int]
    group_id: Mapped[int | None] = mapped_column(ForeignKey("partner_groups.id"))
    audience: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120), default="")
    participants_final: Mapped[int | None]  # people on the board when the results were finalised

    contest = relationship(Contest, back_populates="leagues")
    group = relationship("PartnerGroup")


class ContestEntry(db.Model):
    """A participant's «Take part» in an opt-in contest."""

    __tablename__ = "contest_entries"
    __table_args__ = (UniqueConstraint("contest_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContestScore(db.Model):
    """The rollup a board reads: one row per (contest, league, participant), kept by domain events.

    `actual` is the measured amount; `value` what ranks: the same, or hundredths of a percent of the plan.
    """

    __tablename__ = "contest_scores"
    __table_args__ = (UniqueConstraint("contest_id", "league_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"))
    league_id: Mapped[int] = mapped_column(ForeignKey("contest_leagues.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("partner_companies.id"))
    actual: Mapped[int] = mapped_column(BigInteger, default=0)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    reached_at: Mapped[datetime]


class ContestFrozenScore(db.Model):
    """The board as it stood at the freeze time, shown to participants until the results are final."""

    __tablename__ = "contest_frozen_scores"
    __table_args__ = (UniqueConstraint("contest_id", "league_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"))
    league_id: Mapped[int] = mapped_column(ForeignKey("contest_leagues.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("partner_companies.id"))
    actual: Mapped[int] = mapped_column(BigInteger, default=0)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    reached_at: Mapped[datetime]


# One board is one range of this index, already in ranking order: top N and "my position" are index reads.
for _model in (ContestScore, ContestFrozenScore):
    Index(f"ix_{_model.__tablename__}_board", _model.contest_id, _model.league_id, _model.value.desc(),
          _model.reached_at, _model.user_id)


def board_bucket(value: int) -> int:
    """The counting bucket of a positive board value: its number of digits and its two leading digits.

    Buckets grow with the value (about 90 per decade), so a count of everyone ahead of a place is a sum over at
    most a few hundred bucket rows plus a short index range inside one bucket. The same expression lives in the
    database triggers that keep `ContestBoardBucket` (migration 0019).
    """
    digits = str(value)
    return len(digits) * 100 + int(digits[:2])


def bucket_ceiling(value: int) -> int:
    """The smallest value of the next bucket up (exclusive upper end of `value`'s bucket)."""
    digits = str(value)
    if len(digits) == 1:
        return value + 1
    return (int(digits[:2]) + 1) * 10 ** (len(digits) - 2)


class ContestBoardBucket(db.Model):
    """How many people of a board (live or frozen) have a value in each bucket: kept by triggers on the two
    score tables in the same statement as the score itself, read to place someone deep in a large board."""

    __tablename__ = "contest_board_buckets"
    __table_args__ = (CheckConstraint("n >= 0", name="ck_contest_board_buckets_n"),)

    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), primary_key=True)
    league_id: Mapped[int] = mapped_column(ForeignKey("contest_leagues.id"), primary_key=True)
    frozen: Mapped[bool] = mapped_column(primary_key=True)
    bucket: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(default=0)


class ContestWinner(db.Model):
    """The results as finalised: fixed, whatever happens to the claims afterwards."""

    __tablename__ = "contest_winners"
    __table_args__ = (
        UniqueConstraint("contest_id", "league_id", "place"),
        UniqueConstraint("contest_id", "league_id", "user_id"),
        CheckConstraint("place >= 1", name="place_positive"),
        CheckConstraint("prize_points >= 0", name="prize_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    league_id: Mapped[int] = mapped_column(ForeignKey("contest_leagues.id"))
    place: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("partner_companies.id"))
    value: Mapped[int] = mapped_column(BigInteger)
    reached_at: Mapped[datetime]
    prize_points: Mapped[int] = mapped_column(default=0)
    prize_text: Mapped[str] = mapped_column(String(300), default="")
    ledger_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))

    user = relationship("User")
    company = relationship("PartnerCompany")
    league = relationship(ContestLeague)


class ContestChange(db.Model):
    """What a manager changed in a contest, when: the log that a running contest's edits leave."""

    __tablename__ = "contest_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor = relationship("User")

    # Fields whose values are stored moments (naive UTC, as str() wrote them): shown in the reader's time zone.
    MOMENT_FIELDS = ("freeze_at", "ends_at", "starts_at")

    def moment(self, value: str) -> datetime | None:
        """The stored value as a moment when the field holds one, else None."""
        if self.field not in self.MOMENT_FIELDS or not value:
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
