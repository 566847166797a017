"""What contest pages show: the review lists, "why this value", and the participants' section."""

from dataclasses import dataclass

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, union
from sqlalchemy.orm import joinedload, selectinload

from portal.auth.models import PARTNER_ROLES, STAFF_ROLES, User
from portal.claims.models import APPROVED, REVERSED, SUBMITTED, Claim, ClaimEvent, ClaimLine
from portal.claims.models import DRAFT as CLAIM_DRAFT
from portal.claims.models import REJECTED as CLAIM_REJECTED
from portal.core.time import utcnow
from portal.extensions import db
from portal.products.models import Product
from portal.training.models import CourseCompletion

from . import boards, scoring
from .models import (
    BY_GROUP,
    CANCELLED,
    CLAIM_METRICS,
    COURSES_PASSED,
    DRAFT,
    FINALISED,
    FINISHED,
    FROZEN,
    LIVE_STATES,
    OPT_IN,
    RUNNING,
    SCHEDULED,
    STATUS_LABELS,
    Contest,
    ContestChange,
    ContestEntry,
    ContestFrozenScore,
    ContestLeague,
    ContestScore,
    ContestWinner,
)
from .services import may_take_part

# --- what the manager reviews ----------------------------------------------------------------------


def _claims_in_scope(contest: Contest, where) -> list[tuple[Claim, int, int]]:
    """(claim, amount, league id) of the contest's claims matching `where`."""
    scope = scoring.prepare(contest)
    first, last = scoring.period_dates(contest)
    claims = db.session.scalars(
        select(Claim).where(Claim.invoice_date >= first, Claim.invoice_date <= last, *where)
        .options(selectinload(Claim.lines).joinedload(ClaimLine.product), joinedload(Claim.user))
        .order_by(Claim.id).limit(1000)).all()
    if contest.group_ids or contest.league_mode == BY_GROUP:
        scope.preload_groups({claim.company_id for claim in claims})
    found = []
    for claim in claims:
        amount = scoring.claim_amount(scope, claim)
        league = scoring.league_for(scope, claim.user, claim.company_id, scoring.claim_day(claim))
        if amount is not None and league is not None:
            found.append((claim, amount, league))
    return found


def pending_claims(contest: Contest) -> list[tuple[Claim, int, int]]:
    """Sales awaiting review that would count if approved: they could still change places."""
    if contest.metric not in CLAIM_METRICS:
        return []
    return _claims_in_scope(contest, [Claim.status == SUBMITTED])


def reversed_after_final(contest: Contest) -> list[tuple[Claim, int, int]]:
    """Sales reversed after the results were fixed: the winners stay, but the managers should know."""
    if contest.metric not in CLAIM_METRICS or contest.finalised_at is None:
        return []
    reversed_ids = select(ClaimEvent.claim_id).where(ClaimEvent.status == REVERSED,
                                                     ClaimEvent.created_at > contest.finalised_at)
    return _claims_in_scope(contest, [Claim.status == REVERSED, Claim.id.in_(reversed_ids)])


def overlapping(contest: Contest) -> list[Contest]:
    """Other live or upcoming contests whose period overlaps: allowed (a sale counts in each), but shown."""
    return list(db.session.scalars(select(Contest).where(
        Contest.id != contest.id, Contest.status.in_((SCHEDULED, RUNNING, FROZEN, FINISHED)),
        Contest.starts_at < contest.ends_at, Contest.ends_at > contest.starts_at).order_by(Contest.starts_at)))


def _counted_thing(contest: Contest) -> str:
    if contest.metric in CLAIM_METRICS:
        return "sale"
    return "course" if contest.metric == COURSES_PASSED else "lead"


_COUNTED_IN_BOTH = {
    "sale": _l("Overlaps with «%(t)s» (%(s)s — %(e)s): a sale counts in both contests."),
    "course": _l("Overlaps with «%(t)s» (%(s)s — %(e)s): a passed course counts in both contests."),
    "lead": _l("Overlaps with «%(t)s» (%(s)s — %(e)s): a qualified lead counts in both contests."),
}


def overlap_notice(contest: Contest, other: Contest) -> str:
    """What an overlap means in the two contests' own terms: the same thing counted twice, or only the dates."""
    dates = {"t": other.title, "s": format_datetime(other.starts_at, "short"),
             "e": format_datetime(other.ends_at, "short")}
    thing = _counted_thing(contest)
    if thing == _counted_thing(other):
        return str(_COUNTED_IN_BOTH[thing]) % dates
    return _("Overlaps with «%(t)s» (%(s)s — %(e)s): the periods overlap, but the two contests count different "
             "things, so nothing counts twice.", **dates)


def overlap_notices(contest: Contest) -> list[str]:
    return [overlap_notice(contest, other) for other in overlapping(contest)]


def inactive_products(contest: Contest) -> list[Product]:
    """Products in the contest's filter that were deactivated: sales already made of them still count."""
    if not contest.product_ids:
        return []
    return list(db.session.scalars(select(Product).where(Product.id.in_(contest.product_ids),
                                                         Product.active.is_(False))))


def changes_of(contest: Contest) -> list[ContestChange]:
    return list(db.session.scalars(select(ContestChange).where(ContestChange.contest_id == contest.id)
                                   .order_by(ContestChange.id.desc())))


@dataclass
class Counted:
    """One sale or course of the participant in the period, for "why this value": whether it counted in the
    league, and if not, why (a code of REASON_LABELS)."""

    kind: str  # "claim" or "course"
    id: int
    label: str
    at: object
    amount: int
    counted: bool
    reason: str | None = None
    other_league: ContestLeague | None = None


NOT_APPROVED = "not_approved"
REJECTED_SALE = "rejected"
DRAFT_SALE = "draft"
REVERSED_SALE = "reversed"
PRODUCTS = "products"
OTHER_LEAGUE = "other_league"
REASON_LABELS = {
    scoring.NOT_PARTICIPANT: _l("not counted: the person did not work for a partner company then"),
    scoring.AUDIENCE: _l("not counted: the person's audience on that date is not the contest's"),
    scoring.LATE: _l("not counted: the contest is for people registered before its start"),
    scoring.NOT_ENTERED: _l("not counted: the person had not pressed «Take part»"),
    scoring.COMPANY: _l("not counted: the company is not among the contest's companies"),
    scoring.GROUP: _l("not counted: the company was not in the league's partner group on that date"),
    PRODUCTS: _l("not counted: none of its products is among the contest's products"),
    OTHER_LEAGUE: _l("counted in another league"),
    NOT_APPROVED: _l("not counted yet: awaiting review"),
    REJECTED_SALE: _l("not counted: rejected"),
    DRAFT_SALE: _l("not counted: a draft, not sent for review"),
    REVERSED_SALE: _l("reversed: not counted"),
}
_STATUS_REASONS = {SUBMITTED: NOT_APPROVED, CLAIM_REJECTED: REJECTED_SALE, CLAIM_DRAFT: DRAFT_SALE,
                   REVERSED: REVERSED_SALE}


def _reason(league_id: int, placed: tuple[int | None, str | None], matches: bool) -> tuple[str | None, int | None]:
    league, reason = placed
    if reason is not None:
        return reason, None
    if not matches:
        return PRODUCTS, None
    if league != league_id:
        return OTHER_LEAGUE, league
    return None, None


def why_value(contest: Contest, user_id: int, league_id: int) -> list[Counted]:
    """The participant's sales (or courses) in the period: the ones behind their value in one league, and the
    ones that did not count there, each with its reason."""
    items = []
    scope = scoring.prepare(contest)
    leagues = {league.id: league for league in contest.leagues}
    if contest.metric in CLAIM_METRICS:
        first, last = scoring.period_dates(contest)
        for claim in db.session.scalars(
            select(Claim).where(Claim.user_id == user_id, Claim.invoice_date >= first, Claim.invoice_date <= last)
            .options(selectinload(Claim.lines).joinedload(ClaimLine.product), joinedload(Claim.user))
            .order_by(Claim.invoice_date, Claim.id).limit(1000)
        ):
            amount = scoring.claim_amount(scope, claim)
            placed = scoring.placement(scope, claim.user, claim.company_id, scoring.claim_day(claim))
            reason, other = _reason(league_id, placed, amount is not None)
            if reason is None and claim.status != APPROVED:
                reason = _STATUS_REASONS.get(claim.status, NOT_APPROVED)
            items.append(Counted("claim", claim.id, claim.invoice_number, claim.invoice_date, amount or 0,
                                 reason is None, reason, leagues.get(other)))
    elif contest.metric == COURSES_PASSED:
        for completion in db.session.scalars(
            select(CourseCompletion).where(CourseCompletion.user_id == user_id,
                                           CourseCompletion.passed_at >= contest.starts_at,
                                           CourseCompletion.passed_at < contest.ends_at)
            .options(selectinload(CourseCompletion.course), selectinload(CourseCompletion.user))
            .order_by(CourseCompletion.passed_at)
        ):
            placed = scoring.placement(scope, completion.user, completion.company_id,
                                       scoring.event_day(completion.passed_at))
            reason, other = _reason(league_id, placed, True)
            items.append(Counted("course", completion.course_id, completion.course.title, completion.passed_at,
                                 1, reason is None, reason, leagues.get(other)))
    return items


def reason_label(item: Counted) -> str:
    return str(REASON_LABELS.get(item.reason, item.reason or ""))


# --- what participants see -------------------------------------------------------------------------


def visible_contests(user: User) -> list[Contest]:
    """Contests a participant sees: upcoming, running and ended ones they fit or entered (no drafts).

    A fixed number of reads whatever the number of contests: the contests with their leagues, the person's
    boards and entries, and their company's groups once (shared by every contest's check)."""
    contests = list(db.session.scalars(select(Contest).options(selectinload(Contest.leagues)).where(
        Contest.status.in_((SCHEDULED, RUNNING, FROZEN, FINISHED, FINALISED))).order_by(Contest.starts_at.desc())))
    if not contests:
        return []
    ids = [contest.id for contest in contests]
    on_boards = set(db.session.scalars(union(*(
        select(model.contest_id).where(model.user_id == user.id, model.contest_id.in_(ids))
        for model in (ContestScore, ContestFrozenScore)))))
    entered = set(db.session.scalars(select(ContestEntry.contest_id).where(
        ContestEntry.user_id == user.id, ContestEntry.contest_id.in_(ids))))
    seen_groups, seen_audiences, now = {}, {}, utcnow()

    def fits(contest: Contest) -> bool:
        if user.role not in PARTNER_ROLES or user.company_id is None:
            return False
        scope = scoring.scope_of(contest, entrants=({user.id} if contest.id in entered else set())
                                 if contest.enrolment == OPT_IN else None)
        scope.groups_seen, scope.audiences_seen = seen_groups, seen_audiences
        return scoring.league_for(scope, user, user.company_id, now) is not None

    return [contest for contest in contests if contest.id in on_boards or fits(contest)]


def can_view(user: User, contest: Contest) -> bool:
    if user.role in STAFF_ROLES:
        return True
    if contest.status in (DRAFT, CANCELLED):
        return False
    return bool(boards.my_rows(contest.id, user.id)) or may_take_part(contest, user)


def shows_frozen_board(contest: Contest) -> bool:
    """Participants see the board as of the freeze from the freeze until the results are final."""
    return contest.frozen_at is not None and contest.status in (FROZEN, FINISHED)


def my_places(contest: Contest, user: User) -> list[tuple[ContestLeague, int | None, int]]:
    """(league, place, value) of the participant in each league they have a score in: the final place once the
    results are fixed, the place and value as of the freeze while participants see the frozen board, the live
    ones otherwise."""
    return my_places_in([contest], user)[contest.id]


def my_places_in(contests: list[Contest], user: User) -> dict[int, list[tuple[ContestLeague, int | None, int]]]:
    """`my_places` of several contests: the person's scores and final places read once for all of them, then one
    indexed count per board the person is on."""
    ids = [contest.id for contest in contests]
    finals = {}
    if any(contest.status == FINALISED for contest in contests):
        finals = {(w.contest_id, w.league_id): w.place for w in db.session.scalars(select(ContestWinner).where(
            ContestWinner.contest_id.in_(ids), ContestWinner.user_id == user.id))}
    frozen_ids = {contest.id for contest in contests if shows_frozen_board(contest)}
    rows: dict[int, list] = {contest_id: [] for contest_id in ids}
    for model, wanted in ((ContestScore, [i for i in ids if i not in frozen_ids]),
                          (ContestFrozenScore, sorted(frozen_ids))):
        if wanted:
            for score in db.session.scalars(select(model).where(model.contest_id.in_(wanted),
                                                                model.user_id == user.id)
                                            .order_by(model.league_id).execution_options(populate_existing=True)):
                rows[score.contest_id].append(score)
    result = {}
    for contest in contests:
        leagues = {league.id: league for league in contest.leagues}
        frozen = contest.id in frozen_ids
        result[contest.id] = [
            (leagues[score.league_id],
             finals.get((contest.id, score.league_id)) or boards.place_of(contest.id, score.league_id, score,
                                                                          frozen=frozen),
             score.value)
            for score in rows[contest.id] if score.league_id in leagues]
    return result


def my_live_values(contest: Contest, user_id: int) -> dict[int, int]:
    """{league id: value} of the participant's live scores: their own value now, shown beside the frozen place."""
    return {score.league_id: score.value for score in boards.my_rows(contest.id, user_id)}


def best_current_place(user: User) -> tuple[Contest, int] | None:
    """The participant's best place over the running contests, for the home page card: as of the freeze in a
    frozen one."""
    best = None
    contests = list(db.session.scalars(select(Contest).options(selectinload(Contest.leagues)).where(
        Contest.status.in_(LIVE_STATES)).where(
        Contest.id.in_(select(ContestScore.contest_id).where(ContestScore.user_id == user.id))
        | Contest.id.in_(select(ContestFrozenScore.contest_id).where(ContestFrozenScore.user_id == user.id)))))
    places = my_places_in(contests, user)
    for contest in contests:
        for _league, place, _value in places[contest.id]:
            if place is not None and (best is None or place < best[1]):
                best = (contest, place)
    return best


def status_label(status: str) -> str:
    return str(STATUS_LABELS[status])


def count_people_scored(contest: Contest) -> int:
    return db.session.scalar(select(func.count(func.distinct(ContestScore.user_id))).where(
        ContestScore.contest_id == contest.id, ContestScore.value > 0)) or 0
