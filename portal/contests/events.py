"""Contest scores follow the program's domain events in the sender's transaction (receivers only flush)."""

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.auth.models import User
from portal.claims.models import APPROVED, REVERSED, ClaimEvent
from portal.core import events
from portal.extensions import db
from portal.groups import services as groups
from portal.ledger.descriptions import describes

from . import scoring
from .models import CLAIM_METRICS, COURSES_PASSED, QUALIFIED_LEADS
from .services import contests_using_group, rescore_group_contests


def _claim_moved(claim, status: str, sign: int) -> None:
    contests = [c for c in scoring.scored_contests(CLAIM_METRICS) if scoring.claim_in_period(c, claim)]
    if not contests:
        return
    # The event row's own time, so that the recomputation finds the very same moment.
    at = db.session.scalar(select(func.max(ClaimEvent.created_at)).where(ClaimEvent.claim_id == claim.id,
                                                                        ClaimEvent.status == status))
    for contest in contests:
        scope = scoring.prepare(contest)
        amount = scoring.claim_amount(scope, claim)
        if amount is None:
            continue
        league = scoring.league_for(scope, claim.user, claim.company_id, scoring.claim_day(claim))
        if league is not None:
            scoring.bump_score(contest, league, claim.user_id, claim.company_id, sign * amount, at)
    db.session.flush()


@events.claim_approved.connect
def count_approved_claim(claim, **extra):
    _claim_moved(claim, APPROVED, +1)


@events.claim_reversed.connect
def uncount_reversed_claim(claim, **extra):
    _claim_moved(claim, REVERSED, -1)


def _count_one(metric: str, user_id: int, company_id, at) -> None:
    contests = [c for c in scoring.scored_contests([metric]) if scoring.moment_in_period(c, at)]
    if not contests:
        return
    user = db.session.get(User, user_id)
    for contest in contests:
        league = scoring.league_for(scoring.prepare(contest), user, company_id, scoring.event_day(at))
        if league is not None:
            scoring.bump_score(contest, league, user_id, company_id, 1, at)
    db.session.flush()


@events.course_passed.connect
def count_course(completion, **extra):
    _count_one(COURSES_PASSED, completion.user_id, completion.company_id, completion.passed_at)


@events.lead_qualified.connect
def count_lead(lead, **extra):
    _count_one(QUALIFIED_LEADS, lead.user_id, lead.company_id, lead.qualified_at)


@events.group_membership_changed.connect
def rescore_group(group, **extra):
    """A company joined or left the group, or its membership was dated back: rebuild the boards that use it."""
    rescore_group_contests(group.id)


# The group pages warn that a change rescores the contests that use the group (groups never import contests).
groups.register_rescored(contests_using_group)


@describes("contest")
def _describe_prize(transaction):
    return _("Contest prize: «%(title)s», place %(place)s", title=transaction.params.get("title", ""),
             place=transaction.params.get("place", ""))
