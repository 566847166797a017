"""Contest scoring rules: who counts in which league and what an event is worth.

Policy, also shown on the contest page:
- a sale counts when its invoice date lies in the contest period and it is approved (at any time before
  the results are final); a course when it is passed within the period; a lead when qualified within it;
- a sale counts for the league, groups and audience its seller and company belonged to on the sale's invoice
  date (partners/history.py answers "where on day D"); a course or a lead on the program-calendar day it was
  passed or qualified. Moving to another company later does not move earlier results; a company added to a
  group (or dated back into it) brings the sales invoiced while it was a member;
- a product deactivated during the contest still counts for the sales made of it.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from portal.auth.models import PARTNER_ROLES, User
from portal.claims.models import Claim, ClaimLine
from portal.contests.models import (
    APPROVED_CLAIMS,
    BY_AUDIENCE,
    BY_GROUP,
    LATE_EXCLUDED,
    MARGIN,
    OPT_IN,
    PLAN_PERCENT,
    POINTS,
    SALES_AMOUNT,
    SCORED_STATES,
    UNITS,
    Contest,
    ContestEntry,
)
from portal.core.time import local_date
from portal.extensions import db
from portal.partners import history


def period_dates(contest: Contest) -> tuple[date, date]:
    return local_date(contest.starts_at), local_date(contest.ends_at)


def percent_of(actual: int, target: int | None) -> int:
    """Hundredths of a percent, truncated toward zero (as the databases divide integers)."""
    if not target:
        return 0
    whole = abs(actual) * 10000 // target
    return whole if actual >= 0 else -whole


@dataclass
class Scope:
    """A contest's rules prepared for many checks: leagues, entrants, products, and the memberships already
    looked up (each (company, day) and (person, day) once)."""

    contest: Contest
    league_ids: list[int]
    league_groups: list[tuple[int, int | None]]
    league_audiences: dict[str, int]
    entrants: set[int] | None = None
    products: set[int] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)
    groups_seen: dict = field(default_factory=dict)
    audiences_seen: dict = field(default_factory=dict)

    group_spans: dict = field(default_factory=dict)

    def preload_groups(self, company_ids) -> None:
        """Read these companies' group memberships once, for checks on many days (a list of claims)."""
        missing = set(company_ids) - set(self.group_spans) - {None}
        self.group_spans.update(history.group_spans_of(missing))

    def groups_on(self, company_id: int, when: date | datetime) -> frozenset[int]:
        key = (company_id, when)
        if key not in self.groups_seen:
            spans = self.group_spans.get(company_id)
            self.groups_seen[key] = history.group_ids_on(company_id, when) if spans is None \
                else history.group_ids_within(spans, when)
        return self.groups_seen[key]

    def audience_on(self, user_id: int, when: date | datetime) -> str | None:
        key = (user_id, when)
        if key not in self.audiences_seen:
            self.audiences_seen[key] = history.audience_on(user_id, when)
        return self.audiences_seen[key]


def prepare(contest: Contest) -> Scope:
    entrants = None
    if contest.enrolment == OPT_IN:
        entrants = set(db.session.scalars(select(ContestEntry.user_id).where(ContestEntry.contest_id == contest.id)))
    return scope_of(contest, entrants)


def scope_of(contest: Contest, entrants: set[int] | None) -> Scope:
    """The contest's rules with the entrants already known (None: everyone who fits takes part)."""
    leagues = list(contest.leagues)
    return Scope(
        contest=contest, league_ids=[league.id for league in leagues],
        league_groups=[(league.id, league.group_id) for league in leagues],
        league_audiences={league.audience: league.id for league in leagues if league.audience},
        products=set(contest.product_ids or []), categories=set(contest.categories or []), entrants=entrants,
    )


# Why a result does not count in a contest (the "why this value" page names them in the reader's language).
NOT_PARTICIPANT = "not_participant"
AUDIENCE = "audience"
LATE = "late"
NOT_ENTERED = "not_entered"
COMPANY = "company"
GROUP = "group"


def placement(scope: Scope, user: User, company_id: int | None, when: date | datetime) -> tuple[int | None, str | None]:
    """(league, None) for a result of `user` made while working for `company_id`, on the day `when` (a sale's
    invoice date, a course's day) or at a moment; (None, reason) when it counts in no league."""
    contest = scope.contest
    if not scope.league_ids or user.role not in PARTNER_ROLES or company_id is None:
        return None, NOT_PARTICIPANT
    audience = scope.audience_on(user.id, when) if contest.audience or scope.league_audiences else None
    if contest.audience and audience != contest.audience:
        return None, AUDIENCE
    if contest.late_joiners == LATE_EXCLUDED and user.created_at > contest.starts_at:
        return None, LATE
    if scope.entrants is not None and user.id not in scope.entrants:
        return None, NOT_ENTERED
    if contest.company_ids and company_id not in contest.company_ids:
        return None, COMPANY
    groups_then = scope.groups_on(company_id, when) if contest.group_ids or contest.league_mode == BY_GROUP \
        else frozenset()
    if contest.league_mode == BY_GROUP:
        # A company in several of the contest's groups counts in the first league listed.
        league = next((league for league, group in scope.league_groups if group in groups_then), None)
        return (league, None) if league is not None else (None, GROUP)
    if contest.group_ids and not groups_then & set(contest.group_ids):
        return None, GROUP
    if contest.league_mode == BY_AUDIENCE:
        league = scope.league_audiences.get(audience)
        return (league, None) if league is not None else (None, AUDIENCE)
    return scope.league_ids[0], None


def league_for(scope: Scope, user: User, company_id: int | None, when: date | datetime) -> int | None:
    """The league a result counts in (see `placement`), or None."""
    return placement(scope, user, company_id, when)[0]


def line_matches(scope: Scope, line: ClaimLine) -> bool:
    if not scope.products and not scope.categories:
        return True
    return line.product_id in scope.products or line.product.category in scope.categories


def claim_amount(scope: Scope, claim: Claim) -> int | None:
    """What an approved claim adds to the contest's measure; None when none of its lines is in the contest."""
    lines = [line for line in claim.lines if line_matches(scope, line)]
    if not lines:
        return None
    metric = scope.contest.plan_metric if scope.contest.metric == PLAN_PERCENT else scope.contest.metric
    if metric == SALES_AMOUNT:
        return sum(line.revenue_kopecks for line in lines)
    if metric == UNITS:
        return sum(line.quantity for line in lines)
    if metric == MARGIN:
        return sum(line.margin_kopecks for line in lines)
    if metric == POINTS:
        return claim.points or 0
    if metric == APPROVED_CLAIMS:
        return 1
    return None


def claim_in_period(contest: Contest, claim: Claim) -> bool:
    first, last = period_dates(contest)
    return first <= claim.invoice_date <= last


def claim_day(claim: Claim) -> date:
    """The day that decides a sale's league, groups and audience: its invoice date."""
    return claim.invoice_date


def event_day(moment: datetime) -> date:
    """The day that decides a course's or a lead's league: the program-calendar day of its moment."""
    return local_date(moment)


def moment_in_period(contest: Contest, moment: datetime) -> bool:
    return contest.starts_at <= moment < contest.ends_at


def scored_contests(metrics) -> list[Contest]:
    return list(db.session.scalars(select(Contest).where(Contest.status.in_(SCORED_STATES),
                                                         Contest.metric.in_(metrics))))
