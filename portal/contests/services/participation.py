"""Who takes part in a contest: fitting it, opting in, the people its start mail goes to, and contests that
choose people by a partner group."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.models import PARTNER_ROLES, User
from portal.contests import scoring
from portal.contests.models import (
    BY_GROUP,
    FINISHED,
    FROZEN,
    LIVE_STATES,
    OPT_IN,
    RUNNING,
    SCHEDULED,
    Contest,
    ContestEntry,
)
from portal.core.errors import DomainError
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners import history


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
    """Who fits the contest now: the people its start mail goes to. The same rule as `may_take_part`, asked for
    everyone at once: the audiences and groups of all candidates are read in one statement each, not per person."""
    query = select(User).where(User.role.in_(PARTNER_ROLES), User.active.is_(True), User.company_id.is_not(None))
    if contest.audience:
        query = query.where(User.audience == contest.audience)
    if contest.company_ids:
        query = query.where(User.company_id.in_(contest.company_ids))
    people = list(db.session.scalars(query.order_by(User.id)))
    scope, now = scoring.prepare(contest), utcnow()
    scope.entrants = None
    if contest.audience or scope.league_audiences:
        audiences = history.audiences_on(query.with_only_columns(User.id), now)
        scope.audiences_seen.update(((user_id, now), audience) for user_id, audience in audiences.items())
    if contest.group_ids or contest.league_mode == BY_GROUP:
        groups = history.group_ids_of_companies_on(query.with_only_columns(User.company_id).distinct(), now)
        scope.groups_seen.update(((person.company_id, now), groups.get(person.company_id, frozenset()))
                                 for person in people)
    return [person for person in people if scoring.league_for(scope, person, person.company_id, now) is not None]
