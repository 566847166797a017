"""Contests: writing them, moving them through their states, finalising winners, and what pages show."""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import selectinload

from portal.audit import services as audit
from portal.auth.models import AUDIENCES, PARTNER_ROLES, STAFF_ROLES, User
from portal.core.errors import DomainError, NotAllowed
from portal.core.sql import compare_and_set
from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.partners.models import PartnerGroup

from . import boards, scoring
from .models import (
    BY_AUDIENCE,
    BY_GROUP,
    CANCELLED,
    DRAFT,
    FINALISED,
    FINISHED,
    FROZEN,
    LIVE_STATES,
    MAX_WINNERS,
    METRICS,
    OPT_IN,
    PLAN_METRICS,
    PLAN_PERCENT,
    RUNNING,
    SCHEDULED,
    TRANSITIONS,
    Contest,
    ContestChange,
    ContestEntry,
    ContestFrozenScore,
    ContestLeague,
    ContestScore,
    ContestWinner,
)

# Audit actions of the contest console (the audit log's own list names them in the reader's language).
CONTEST_FROZEN = "contest.frozen"
CONTEST_UNFROZEN = "contest.unfrozen"
audit.ACTION_LABELS.setdefault(CONTEST_FROZEN, _l("Contest board frozen by hand"))
audit.ACTION_LABELS.setdefault(CONTEST_UNFROZEN, _l("Contest board unfrozen"))

# Fields a running contest may still change (each change is logged); everything else is fixed at the start.
EDITABLE_WHILE_RUNNING = ("description", "ends_at")


@dataclass
class ContestData:
    title: str
    starts_at: datetime
    ends_at: datetime
    metric: str
    description: str = ""
    rules: str = ""
    freeze_at: datetime | None = None
    plan_metric: str | None = None
    product_ids: list[int] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    audience: str | None = None
    group_ids: list[int] = field(default_factory=list)
    company_ids: list[int] = field(default_factory=list)
    enrolment: str = "auto"
    late_joiners: str = "welcome"
    league_mode: str = "single"
    winners_per_league: int = 3
    prizes: list[dict] = field(default_factory=list)
    min_value: int = 0


def data_of(contest: Contest) -> ContestData:
    """The contest's settings as editor data: a running contest's form changes only two of them."""
    return ContestData(**{name: getattr(contest, name) for name in ContestData.__dataclass_fields__})


def _require_staff(actor: User) -> None:
    if actor.role not in STAFF_ROLES:
        raise NotAllowed(_l("Only the program team runs contests."))


def _check(data: ContestData) -> None:
    if not data.title.strip():
        raise DomainError(_l("Give the contest a title."), field="title")
    if data.ends_at <= data.starts_at:
        raise DomainError(_l("The contest must end after it starts."), field="ends_at")
    if data.freeze_at is not None and not data.starts_at < data.freeze_at < data.ends_at:
        raise DomainError(_l("The board can only be frozen between the start and the end."), field="freeze_at")
    if data.metric not in METRICS:
        raise DomainError(_l("Choose what the contest measures."), field="metric")
    if data.metric == PLAN_PERCENT and data.plan_metric not in PLAN_METRICS:
        raise DomainError(_l("Choose which plan the percentage is of."), field="plan_metric")
    if data.audience is not None and data.audience not in AUDIENCES:
        raise DomainError(_l("Choose an audience from the list."), field="audience")
    if data.league_mode == BY_GROUP and not data.group_ids:
        raise DomainError(_l("Choose the partner groups: each becomes a league."), field="group_ids")
    if not 1 <= data.winners_per_league <= MAX_WINNERS:
        raise DomainError(_l("Between 1 and %(n)s winners per league.", n=MAX_WINNERS), field="winners_per_league")
    if len(data.prizes) > data.winners_per_league:
        raise DomainError(_l("More prizes than winners: %(prizes)s prizes for %(winners)s places.",
                             prizes=len(data.prizes), winners=data.winners_per_league), field="prizes")
    if any(p.get("points", 0) < 0 for p in data.prizes):
        raise DomainError(_l("Prize points cannot be negative."), field="prizes")
    if data.min_value < 0:
        raise DomainError(_l("The minimum value cannot be negative."), field="min_value")
    known = set(db.session.scalars(select(PartnerGroup.id).where(PartnerGroup.id.in_(data.group_ids))))
    if set(data.group_ids) - known:
        raise DomainError(_l("One of the groups no longer exists."), field="group_ids")


def _build_leagues(contest: Contest) -> None:
    for model in (ContestScore, ContestFrozenScore):
        db.session.execute(delete(model).where(model.contest_id == contest.id))
    contest.leagues.clear()
    db.session.flush()
    if contest.league_mode == BY_GROUP:
        groups = {g.id: g for g in db.session.scalars(select(PartnerGroup).where(
            PartnerGroup.id.in_(contest.group_ids)))}
        for position, group_id in enumerate(contest.group_ids):
            contest.leagues.append(ContestLeague(position=position, group_id=group_id, name=groups[group_id].name))
    elif contest.league_mode == BY_AUDIENCE:
        audiences = [contest.audience] if contest.audience else list(AUDIENCES)
        for position, audience in enumerate(audiences):
            contest.leagues.append(ContestLeague(position=position, audience=audience))
    else:
        contest.leagues.append(ContestLeague(position=0))


def _log(contest: Contest, actor: User, name: str, old, new) -> None:
    db.session.add(ContestChange(contest_id=contest.id, actor_id=actor.id, field=name,
                                 old_value="" if old is None else str(old), new_value="" if new is None else str(new)))


def save_contest(data: ContestData, actor: User, contest: Contest | None = None) -> Contest:
    """Create or change a contest. Drafts and upcoming contests change freely; a running one only its
    description and end date (logged); a finished, final or cancelled one not at all."""
    _require_staff(actor)
    if contest is not None:
        advance_contest(contest)
    if contest is not None and contest.status in (RUNNING, FROZEN):
        return _edit_running(contest, data, actor)
    if contest is not None and contest.status not in (DRAFT, SCHEDULED):
        raise DomainError(_l("A contest that has ended can no longer be changed."))
    _check(data)
    if contest is None:
        contest = Contest(created_by_id=actor.id, status=DRAFT)
        db.session.add(contest)
    for name, value in vars(data).items():
        if isinstance(value, str) and name in ("title", "description", "rules"):
            value = value.strip()
        setattr(contest, name, value)
    if data.metric != PLAN_PERCENT:
        contest.plan_metric = None
    db.session.flush()
    _build_leagues(contest)
    db.session.flush()
    if contest.status == SCHEDULED:
        scoring.reset_scores(contest)
    return contest


def _edit_running(contest: Contest, data: ContestData, actor: User) -> Contest:
    frozen_fields = [name for name, value in vars(data).items()
                     if name not in EDITABLE_WHILE_RUNNING and getattr(contest, name) != value
                     and not (name == "plan_metric" and contest.metric != PLAN_PERCENT)]
    if frozen_fields:
        raise DomainError(_l("The contest is running: only its description and end date can change."),
                          field=frozen_fields[0])
    if data.ends_at <= utcnow():
        raise DomainError(_l("The new end date must be in the future."), field="ends_at")
    if contest.freeze_at is not None and data.ends_at <= contest.freeze_at:
        raise DomainError(_l("The contest must end after the board freezes."), field="ends_at")
    if data.description.strip() != contest.description:
        _log(contest, actor, "description", contest.description, data.description.strip())
        contest.description = data.description.strip()
    if data.ends_at != contest.ends_at:
        _log(contest, actor, "ends_at", contest.ends_at.isoformat(sep=" ", timespec="minutes"),
             data.ends_at.isoformat(sep=" ", timespec="minutes"))
        contest.ends_at = data.ends_at
        db.session.flush()
        scoring.reset_scores(contest)  # sales dated in the added (or removed) days count differently now
    db.session.flush()
    return contest


def _move(contest: Contest, source: str, target: str, **values) -> bool:
    assert target in TRANSITIONS[source], f"contests never go from {source} to {target}"
    return compare_and_set(contest, "status", source, status=target, **values)


def publish_contest(contest: Contest, actor: User) -> None:
    """Draft -> upcoming: scores are built from the sales already there, then the clock takes over."""
    _require_staff(actor)
    if contest.status != DRAFT:
        raise DomainError(_l("Only a draft can be published."))
    if contest.ends_at <= utcnow():
        raise DomainError(_l("The contest period is already over: change the dates first."), field="ends_at")
    if not _move(contest, DRAFT, SCHEDULED):
        raise DomainError(_l("Someone changed the contest meanwhile: open it again."))
    scoring.reset_scores(contest)
    advance_contest(contest)


def unpublish_contest(contest: Contest, actor: User) -> None:
    _require_staff(actor)
    if contest.status != SCHEDULED or not _move(contest, SCHEDULED, DRAFT):
        raise DomainError(_l("Only a contest that has not started can go back to draft."))
    db.session.execute(delete(ContestScore).where(ContestScore.contest_id == contest.id))


def cancel_contest(contest: Contest, actor: User) -> None:
    """Cancel a contest that is not final; its scores stay for the record, no prize is posted."""
    _require_staff(actor)
    source = contest.status
    if CANCELLED not in TRANSITIONS[source] or not _move(contest, source, CANCELLED):
        raise DomainError(_l("This contest can no longer be cancelled."))


def advance_contest(contest: Contest, now: datetime | None = None) -> list[str]:
    """Apply the clock: upcoming -> running -> frozen -> finished, each by compare-and-set (so the job and a
    page reading the contest at the same moment move it once). Returns the moves made."""
    now = now or utcnow()
    moves = []
    while True:
        status = contest.status
        if status == SCHEDULED and now >= contest.starts_at:
            target = RUNNING
        elif status == RUNNING and contest.freeze_at is not None and now >= contest.freeze_at:
            target = FROZEN
        elif status in LIVE_STATES and now >= contest.ends_at:
            target = FINISHED
        else:
            return moves
        values = {"frozen_at": now} if target == FROZEN else {}
        if not _move(contest, status, target, **values):
            continue  # someone else moved it: look again at the state they left
        if target == FROZEN:
            scoring.take_freeze_snapshot(contest)
        moves.append(target)


def freeze_contest(contest: Contest, actor: User, now: datetime | None = None) -> None:
    """Freeze a running contest's board now, by hand: participants see places as of this moment until the
    results are final. The freeze time becomes now (a scheduled one is replaced)."""
    _require_staff(actor)
    now = now or utcnow()
    advance_contest(contest, now)
    if contest.status != RUNNING or not contest.starts_at < now < contest.ends_at:
        raise DomainError(_l("Only a running contest can be frozen."))
    previous = contest.freeze_at
    if not _move(contest, RUNNING, FROZEN, freeze_at=now, frozen_at=now):
        raise DomainError(_l("Someone changed the contest meanwhile: open it again."))
    scoring.take_freeze_snapshot(contest)
    _log(contest, actor, "freeze_at", _moment_text(previous), _moment_text(now))
    audit.record(CONTEST_FROZEN, actor=actor, object_type="contest", object_id=contest.id,
                 changes={"title": contest.title, "freeze_at": [previous, now]})


def unfreeze_contest(contest: Contest, actor: User) -> None:
    """Unfreeze a frozen contest: participants see the live board again and no freeze is scheduled any more
    (the manager may freeze it again by hand)."""
    _require_staff(actor)
    advance_contest(contest)
    if contest.status != FROZEN:
        raise DomainError(_l("Only a frozen contest that is still running can be unfrozen."))
    previous = contest.freeze_at
    if not _move(contest, FROZEN, RUNNING, freeze_at=None, frozen_at=None):
        raise DomainError(_l("Someone changed the contest meanwhile: open it again."))
    db.session.execute(delete(ContestFrozenScore).where(ContestFrozenScore.contest_id == contest.id)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    _log(contest, actor, "freeze_at", _moment_text(previous), "")
    audit.record(CONTEST_UNFROZEN, actor=actor, object_type="contest", object_id=contest.id,
                 changes={"title": contest.title, "freeze_at": [previous, None]})


def _moment_text(moment: datetime | None) -> str:
    return moment.isoformat(sep=" ", timespec="minutes") if moment else ""


def due_contests(now: datetime) -> list[Contest]:
    return list(db.session.scalars(select(Contest).where(or_(
        (Contest.status == SCHEDULED) & (Contest.starts_at <= now),
        (Contest.status == RUNNING) & (Contest.freeze_at.is_not(None)) & (Contest.freeze_at <= now),
        (Contest.status.in_(LIVE_STATES)) & (Contest.ends_at <= now),
    )).order_by(Contest.id)))


# --- partner groups ---------------------------------------------------------------------------------


def contests_using_group(group_id: int, states=(*LIVE_STATES, FINISHED)) -> list[Contest]:
    """Contests in `states` whose participants or leagues are chosen by the group (by default running, frozen or
    with results under review: the ones a manager is warned about before a group change rescores them)."""
    contests = db.session.scalars(select(Contest).where(Contest.status.in_(states)).order_by(Contest.starts_at))
    return [c for c in contests if group_id in (c.group_ids or [])]


def rescore_group_contests(group_id: int) -> list[Contest]:
    """After a company joins or leaves a group (or its membership is dated back): rebuild the scores of every
    contest still scoring that uses the group, so the live board reads what the rebuild would. A frozen board
    stays as it was frozen."""
    contests = contests_using_group(group_id, scoring.SCORED_STATES)
    for contest in contests:
        scoring.recompute_contest(contest)
    return contests


# --- taking part -----------------------------------------------------------------------------------


def may_take_part(contest: Contest, user: User, at: datetime | None = None) -> bool:
    """Whether the person fits the contest now (audience, companies, groups, registration date)."""
    if user.role not in PARTNER_ROLES or user.company_id is None:
        return False
    scope = scoring.prepare(contest)
    scope.entrants = None
    return scoring.league_for(scope, user, user.company_id, at or utcnow()) is not None


def has_joined(contest: Contest, user: User) -> bool:
    return db.session.scalar(select(ContestEntry.id).where(ContestEntry.contest_id == contest.id,
                                                           ContestEntry.user_id == user.id)) is not None


def join_contest(contest: Contest, user: User) -> None:
    """Opt in. Results since the start count (the contest's stated policy), so the person's scores are rebuilt."""
    if contest.enrolment != OPT_IN:
        raise DomainError(_l("Everyone who fits takes part in this contest automatically."))
    if contest.status not in (SCHEDULED, RUNNING, FROZEN):
        raise DomainError(_l("This contest is not open for entries."))
    if not may_take_part(contest, user):
        raise DomainError(_l("This contest is for other participants."))
    if has_joined(contest, user):
        return
    db.session.add(ContestEntry(contest_id=contest.id, user_id=user.id))
    db.session.flush()
    scoring.recompute_contest(contest, user_ids=[user.id])


def eligible_people(contest: Contest) -> list[User]:
    """Who fits the contest now: the people its start mail goes to."""
    query = select(User).where(User.role.in_(PARTNER_ROLES), User.active.is_(True), User.company_id.is_not(None))
    if contest.audience:
        query = query.where(User.audience == contest.audience)
    if contest.company_ids:
        query = query.where(User.company_id.in_(contest.company_ids))
    return [user for user in db.session.scalars(query.order_by(User.id)) if may_take_part(contest, user)]


# --- finalisation ----------------------------------------------------------------------------------


class AlreadyFinalised(DomainError):
    pass


def finalise_contest(contest: Contest, actor: User) -> list[ContestWinner]:
    """Fix the winners and post the points prizes, exactly once whatever the double clicks or parallel managers.

    The state moves finished -> finalised by compare-and-set first: of parallel requests one moves it and
    does the work; the others are told it is final already. Each prize also carries an idempotency key."""
    _require_staff(actor)
    advance_contest(contest)
    if contest.status == FINALISED:
        raise AlreadyFinalised(_l("The results are final already."))
    if contest.status != FINISHED:
        raise DomainError(_l("Results can be finalised once the contest has ended."))
    if not _move(contest, FINISHED, FINALISED, finalised_at=utcnow(), finalised_by_id=actor.id):
        raise AlreadyFinalised(_l("The results are final already."))
    winners = []
    for league in contest.leagues:
        league.participants_final = boards.count_on_board(contest.id, league.id)
        rows = db.session.scalars(
            select(ContestScore).where(ContestScore.contest_id == contest.id, ContestScore.league_id == league.id,
                                       ContestScore.value > 0, ContestScore.value >= contest.min_value)
            .order_by(ContestScore.value.desc(), ContestScore.reached_at, ContestScore.user_id)
            .limit(contest.winners_per_league))
        for place, row in enumerate(rows, start=1):
            prize = contest.prize_for(place)
            winner = ContestWinner(contest_id=contest.id, league_id=league.id, place=place, user_id=row.user_id,
                                   company_id=row.company_id, value=row.value, reached_at=row.reached_at,
                                   prize_points=prize.get("points", 0), prize_text=prize.get("text", "")[:300])
            db.session.add(winner)
            winners.append(winner)
    db.session.flush()
    for winner in winners:
        if winner.prize_points > 0:
            posted = ledger.earn(
                winner.user_id, winner.prize_points, source_type="contest", source_id=contest.id,
                key=f"contest:{contest.id}:league:{winner.league_id}:place:{winner.place}:user:{winner.user_id}",
                actor_id=actor.id, params={"title": contest.title, "place": winner.place})
            winner.ledger_transaction_id = posted.id
    db.session.flush()
    audit.record(audit.CONTEST_FINALISED, actor=actor, object_type="contest", object_id=contest.id,
                 changes={"title": contest.title, "winners": [[w.place, w.user_id, w.prize_points] for w in winners]})
    return winners


def winners_of(contest: Contest) -> list[ContestWinner]:
    return list(db.session.scalars(select(ContestWinner).where(ContestWinner.contest_id == contest.id)
                                   .options(selectinload(ContestWinner.user), selectinload(ContestWinner.company))
                                   .order_by(ContestWinner.league_id, ContestWinner.place)))
