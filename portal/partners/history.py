"""Where a person or a company belonged on a day: the one answer contests, KPI, plans and rules all read.

Memberships have dated history (a person's company, a person's audience, a company's groups). A sale, a
course or a lead counts for what its person and company belonged to on the event's day in the program's
calendar; "on day D" means at the end of that day, so a company added to a group during the day counts for
the whole day. Callers pass a `date` (a sale's invoice date) or a stored naive-UTC moment (a course passed);
a moment is read as it is.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import case, func, or_, select

from portal.auth.models import User
from portal.core.time import local_day_start
from portal.extensions import db
from portal.partners.models import AudienceSpan, CompanyMembership, GroupMembership


def moment_of(when: date | datetime) -> datetime:
    """The stored (naive UTC) moment that stands for `when`: a moment as it is, a day at its end in the program's
    time zone (the last instant before the next day begins)."""
    if isinstance(when, datetime):
        return when
    return local_day_start(when + timedelta(days=1)) - timedelta(microseconds=1)


def company_on(user_id: int, when: date | datetime) -> int | None:
    """The company the person worked for on the day (or at the moment), or None."""
    moment = moment_of(when)
    return db.session.scalar(
        select(CompanyMembership.company_id)
        .where(CompanyMembership.user_id == user_id, CompanyMembership.started_at <= moment,
               or_(CompanyMembership.ended_at.is_(None), CompanyMembership.ended_at > moment))
        .order_by(CompanyMembership.started_at.desc(), CompanyMembership.id.desc()).limit(1))


def audience_on(user_id: int, when: date | datetime) -> str | None:
    """The audience ('manager' or 'specialist') the person belonged to on the day (or at the moment).

    Read from the person's audience spans. Before their first span (a sale invoiced before they registered) the
    audience they registered with counts; a person without spans (staff, accounts made outside registration)
    has their current users.audience.
    """
    moment = moment_of(when)
    first_start = db.session.scalar(select(func.min(AudienceSpan.started_at)).where(AudienceSpan.user_id == user_id))
    if first_start is None:
        return db.session.scalar(select(User.audience).where(User.id == user_id))
    moment = max(moment, first_start)
    return db.session.scalar(
        select(AudienceSpan.audience)
        .where(AudienceSpan.user_id == user_id, AudienceSpan.started_at <= moment,
               or_(AudienceSpan.ended_at.is_(None), AudienceSpan.ended_at > moment))
        .order_by(AudienceSpan.started_at.desc(), AudienceSpan.id.desc()).limit(1))


def _on(query, when: date | datetime | None):
    """Group memberships open at the moment that stands for `when` (the open ones now when `when` is None)."""
    if when is None:
        return query.where(GroupMembership.removed_at.is_(None))
    moment = moment_of(when)
    return query.where(GroupMembership.added_at <= moment,
                       or_(GroupMembership.removed_at.is_(None), GroupMembership.removed_at > moment))


def group_ids_on(company_id: int | None, when: date | datetime | None = None) -> frozenset[int]:
    """The groups a company belonged to on the day (or at the moment); now when `when` is None."""
    if company_id is None:
        return frozenset()
    return frozenset(db.session.scalars(
        _on(select(GroupMembership.group_id).where(GroupMembership.company_id == company_id), when)))


def group_company_ids_on(group_id: int, when: date | datetime | None = None) -> list[int]:
    """The companies in a group on the day (or at the moment); now when `when` is None."""
    return list(db.session.scalars(
        _on(select(GroupMembership.company_id).where(GroupMembership.group_id == group_id), when).distinct()))


def group_spans_of(company_ids) -> dict[int, list[tuple[int, datetime, datetime | None]]]:
    """Every group membership span (group, added, removed) of these companies, read in one statement, so that
    `group_ids_within` can answer many days without a read each."""
    spans: dict[int, list] = {company_id: [] for company_id in company_ids}
    if spans:
        for company_id, group_id, added, removed in db.session.execute(
                select(GroupMembership.company_id, GroupMembership.group_id, GroupMembership.added_at,
                       GroupMembership.removed_at).where(GroupMembership.company_id.in_(sorted(spans)))):
            spans[company_id].append((group_id, added, removed))
    return spans


def group_ids_within(spans: list[tuple[int, datetime, datetime | None]], when: date | datetime) -> frozenset[int]:
    """`group_ids_on` answered from a company's spans (`group_spans_of`): the same rule, no read."""
    moment = moment_of(when)
    return frozenset(group_id for group_id, added, removed in spans
                     if added <= moment and (removed is None or removed > moment))


def group_ids_of_companies_on(company_ids, when: date | datetime | None = None) -> dict[int, frozenset[int]]:
    """`group_ids_on` for many companies in one statement: {company: its groups on the day}; a company in no group
    is left out. `company_ids` is a list or a select of ids."""
    groups: dict[int, set[int]] = {}
    for company_id, group_id in db.session.execute(_on(
            select(GroupMembership.company_id, GroupMembership.group_id)
            .where(GroupMembership.company_id.in_(company_ids)), when)):
        groups.setdefault(company_id, set()).add(group_id)
    return {company_id: frozenset(ids) for company_id, ids in groups.items()}


def companies_on(user_ids, when: date | datetime) -> dict[int, int]:
    """company_on for many people at once, in one statement: {person: company} of those who worked for a company
    on the day (or at the moment). `user_ids` is a list or a select of ids."""
    moment = moment_of(when)
    rows = db.session.execute(
        select(CompanyMembership.user_id, CompanyMembership.company_id)
        .where(CompanyMembership.user_id.in_(user_ids), CompanyMembership.started_at <= moment,
               or_(CompanyMembership.ended_at.is_(None), CompanyMembership.ended_at > moment))
        .order_by(CompanyMembership.user_id, CompanyMembership.started_at, CompanyMembership.id))
    # Ordered oldest first, so each person's latest membership wins, as in company_on.
    return {user_id: company_id for user_id, company_id in rows}


def audiences_on(user_ids, when: date | datetime) -> dict[int, str | None]:
    """audience_on for many people at once, in two statements: {person: audience}; a person with spans but none
    on the day is left out (audience_on says None). `user_ids` is a list or a select of ids."""
    moment = moment_of(when)
    first = (select(AudienceSpan.user_id, func.min(AudienceSpan.started_at).label("first"))
             .where(AudienceSpan.user_id.in_(user_ids)).group_by(AudienceSpan.user_id).subquery())
    at = case((first.c.first > moment, first.c.first), else_=moment)  # before the first span: the first one
    spans = db.session.execute(
        select(AudienceSpan.user_id, AudienceSpan.audience).join(first, first.c.user_id == AudienceSpan.user_id)
        .where(AudienceSpan.started_at <= at, or_(AudienceSpan.ended_at.is_(None), AudienceSpan.ended_at > at))
        .order_by(AudienceSpan.user_id, AudienceSpan.started_at, AudienceSpan.id))
    result: dict[int, str | None] = {user_id: audience for user_id, audience in spans}  # the latest span wins
    without_spans = select(User.id, User.audience).where(
        User.id.in_(user_ids), ~select(AudienceSpan.id).where(AudienceSpan.user_id == User.id).exists())
    result.update({user_id: audience for user_id, audience in db.session.execute(without_spans)})
    return result
