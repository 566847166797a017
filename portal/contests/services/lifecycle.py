"""A contest's life: publishing, the clock (upcoming, running, frozen, finished), freezing by hand, cancelling,
finalising the winners and their prizes."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import joinedload

from portal.audit import services as audit
from portal.auth.models import STAFF_ROLES, User
from portal.contests import boards, notifications, scoring
from portal.contests.models import (
    CANCELLED,
    DRAFT,
    FINALISED,
    FINISHED,
    FROZEN,
    LIVE_STATES,
    RUNNING,
    SCHEDULED,
    TRANSITIONS,
    Contest,
    ContestChange,
    ContestFrozenScore,
    ContestScore,
    ContestWinner,
)
from portal.core.errors import DomainError, NotAllowed
from portal.core.sql import compare_and_set
from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger import services as ledger

# Audit actions of the contest console (the audit log's own list names them in the reader's language).
CONTEST_FROZEN = "contest.frozen"
CONTEST_UNFROZEN = "contest.unfrozen"
audit.ACTION_LABELS.setdefault(CONTEST_FROZEN, _l("Contest board frozen by hand"))
audit.ACTION_LABELS.setdefault(CONTEST_UNFROZEN, _l("Contest board unfrozen"))


def _require_staff(actor: User) -> None:
    if actor.role not in STAFF_ROLES:
        raise NotAllowed(_l("Only the program team runs contests."))


def _log(contest: Contest, actor: User, name: str, old, new) -> None:
    db.session.add(ContestChange(contest_id=contest.id, actor_id=actor.id, field=name,
                                 old_value="" if old is None else str(old), new_value="" if new is None else str(new)))


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
    audit.record(audit.CONTEST_PUBLISHED, actor=actor, object_type="contest", object_id=contest.id)
    scoring.reset_scores(contest)
    advance_contest(contest)


def unpublish_contest(contest: Contest, actor: User) -> None:
    _require_staff(actor)
    if contest.status != SCHEDULED or not _move(contest, SCHEDULED, DRAFT):
        raise DomainError(_l("Only a contest that has not started can go back to draft."))
    audit.record(audit.CONTEST_UNPUBLISHED, actor=actor, object_type="contest", object_id=contest.id)
    db.session.execute(delete(ContestScore).where(ContestScore.contest_id == contest.id))


def cancel_contest(contest: Contest, actor: User) -> None:
    """Cancel a contest that is not final; its scores stay for the record, no prize is posted."""
    _require_staff(actor)
    source = contest.status
    if CANCELLED not in TRANSITIONS[source] or not _move(contest, source, CANCELLED):
        raise DomainError(_l("This contest can no longer be cancelled."))
    audit.record(audit.CONTEST_CANCELLED, actor=actor, object_type="contest", object_id=contest.id)


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
            notifications.notify_frozen(contest)
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
    notifications.notify_frozen(contest)
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
                                   .options(joinedload(ContestWinner.user), joinedload(ContestWinner.company))
                                   .order_by(ContestWinner.league_id, ContestWinner.place)))
