"""Partner groups: managers group companies by region, tier or type, with a dated history of membership.

A company may be in several groups. Removing a company closes its membership row (removed_at), so
"who was in the group on a date" stays answerable for rules, contests and reports.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.audit import services as audit
from portal.auth.models import User
from portal.core import events
from portal.core.errors import DomainError
from portal.core.inn import is_valid_inn, normalize_inn
from portal.core.params import clean_text
from portal.core.sql import lower_text
from portal.core.time import local_date, local_day_start, today, utcnow
from portal.extensions import db
from portal.partners.history import group_ids_on
from portal.partners.models import APPROVED, REJECTED, GroupMembership, PartnerCompany, PartnerGroup


def search_groups(q: str = ""):
    """The select behind the groups list, by name."""
    query = select(PartnerGroup).order_by(PartnerGroup.name, PartnerGroup.id)
    q = (q or "").strip()
    if q:
        query = query.where(lower_text(PartnerGroup.name).like(f"%{q.lower()}%"))
    return query


def all_groups() -> list[PartnerGroup]:
    return list(db.session.scalars(search_groups()))


def member_counts(group_ids: list[int]) -> dict[int, int]:
    """How many companies each group has now, in one query for a page of groups."""
    rows = db.session.execute(
        select(GroupMembership.group_id, func.count(GroupMembership.id))
        .where(GroupMembership.group_id.in_(group_ids), GroupMembership.removed_at.is_(None))
        .group_by(GroupMembership.group_id)
    )
    return dict(rows.all())


def save_group(name: str, description: str, actor: User, group: PartnerGroup | None = None) -> PartnerGroup:
    """Create a group or rename and describe an existing one. Names are unique, ignoring case."""
    name = " ".join(clean_text(name).split())
    if not name:
        raise DomainError(_l("Give the group a name."), field="name")
    if len(name) > 120:
        raise DomainError(_l("The name is too long: at most 120 characters."), field="name")
    same = db.session.scalar(select(PartnerGroup).where(lower_text(PartnerGroup.name) == name.lower()))
    if same is not None and same is not group:
        raise DomainError(_l("Another group already has this name."), field="name")
    if group is None:
        group = PartnerGroup(created_by_id=actor.id)
        db.session.add(group)
    group.name = name
    group.description = clean_text(description).strip()[:1000]
    db.session.flush()
    audit.record(audit.GROUP_SAVED, actor=actor, object_type="group", object_id=group.id, changes={"name": name})
    return group


def _open_membership(group_id: int, company_id: int) -> GroupMembership | None:
    return db.session.scalar(select(GroupMembership).where(
        GroupMembership.group_id == group_id, GroupMembership.company_id == company_id,
        GroupMembership.removed_at.is_(None)))


# How far back a membership may be dated: far enough for a contest or a quarter that started before the group
# was put together, not so far that a slip of the year rewrites history.
MAX_DATED_BACK_DAYS = 366


def _member_since(group: PartnerGroup, company: PartnerCompany, since: date | None) -> datetime:
    """The stored moment a membership dated `since` starts: now for today, else the start of that day in the
    program's calendar. Not in the future, not before the company was registered, at most a year back."""
    if since is None or since == today():
        return utcnow()
    if since > today():
        raise DomainError(_l("A membership cannot start in the future."), field="since")
    if since < today() - timedelta(days=MAX_DATED_BACK_DAYS):
        raise DomainError(_l("A membership can be dated back by a year at most."), field="since")
    registered = local_date(company.created_at)
    if since < registered:
        raise DomainError(_l("%(company)s was registered in the program on %(day)s: the membership cannot start "
                             "earlier.", company=company.name, day=format_date(registered)), field="since")
    return local_day_start(since)


def _check_no_overlap(group: PartnerGroup, company: PartnerCompany, start: datetime) -> None:
    ended = db.session.scalar(select(func.max(GroupMembership.removed_at)).where(
        GroupMembership.group_id == group.id, GroupMembership.company_id == company.id,
        GroupMembership.removed_at.is_not(None)))
    if ended is not None and start < ended:
        raise DomainError(_l("The earlier membership of %(company)s in this group ended on %(day)s: the new one "
                             "cannot start before that.", company=company.name,
                             day=format_date(local_date(ended))), field="since")


# What a membership change of a group rescores (the running contests that use it), for the warnings on the group
# pages. The features that keep results per group register a finder here: they read groups, groups never import them.
_rescored_finders: list[Callable[[int], list]] = []


def register_rescored(finder: Callable[[int], list]) -> Callable[[int], list]:
    """Register `finder(group_id)`, naming what a membership change of the group rescores."""
    _rescored_finders.append(finder)
    return finder


def rescored_by_change(group_id: int) -> list:
    """Everything a membership change of the group rescores (the contests that use it), for the warnings."""
    return [item for finder in _rescored_finders for item in finder(group_id)]


def _rescore(group: PartnerGroup, company_ids, since: date, actor: User) -> None:
    """Announce the change: contests rescore the boards that use the group, KPI recounts the group's counters from
    `since` on (the receivers run in this transaction)."""
    company_ids = tuple(company_ids)
    events.group_membership_changed.send(group, company_id=company_ids[0] if len(company_ids) == 1 else None,
                                         company_ids=company_ids, since=since, actor=actor)


def add_company(group: PartnerGroup, company: PartnerCompany, actor: User,
                since: date | None = None) -> GroupMembership:
    """Open a membership of the company in the group, from today or dated back to `since` (a company already
    in the group has its membership's start moved back). The change is announced: contests rescore, KPI recounts."""
    if company.status == REJECTED:
        raise DomainError(_l("This company is not admitted to the program."), field="company")
    start = _member_since(group, company, since)
    membership = _open_membership(group.id, company.id)
    if membership is not None:
        if since is None or start >= membership.added_at:
            raise DomainError(_l("%(company)s is already in this group.", company=company.name), field="company")
        _check_no_overlap(group, company, start)
        membership.added_at = start  # dated back: the same stretch of membership, begun earlier
    else:
        _check_no_overlap(group, company, start)
        membership = GroupMembership(group_id=group.id, company_id=company.id, added_at=start, added_by_id=actor.id)
        db.session.add(membership)
    db.session.flush()
    audit.record(audit.GROUP_MEMBER_ADDED, actor=actor, object_type="group", object_id=group.id,
                 changes={"company": company.id, "since": start})
    _rescore(group, [company.id], local_date(start), actor)
    return membership


def add_companies(group: PartnerGroup, companies: list[PartnerCompany], actor: User) -> int:
    """Add every company not in the group yet; the ones already in are skipped. Returns how many were added."""
    current = set(current_company_ids(group.id))
    now = utcnow()
    added = []
    for company in companies:
        if company.id in current or company.status == REJECTED:
            continue
        db.session.add(GroupMembership(group_id=group.id, company_id=company.id, added_at=now, added_by_id=actor.id))
        current.add(company.id)
        added.append(company.id)
    db.session.flush()
    if added:
        audit.record(audit.GROUP_MEMBER_ADDED, actor=actor, object_type="group", object_id=group.id,
                     changes={"companies": added, "since": now})
        _rescore(group, added, local_date(now), actor)
    return len(added)


def add_region(group: PartnerGroup, region: str, actor: User) -> int:
    """Add every approved company of a region. Returns how many were added (members already in are skipped)."""
    region = (region or "").strip()
    companies = list(db.session.scalars(select(PartnerCompany).where(
        PartnerCompany.region == region, PartnerCompany.status == APPROVED)))
    if not companies:
        raise DomainError(_l("No approved company is registered in this region."), field="region")
    return add_companies(group, companies, actor)


def remove_company(group: PartnerGroup, company: PartnerCompany, actor: User) -> GroupMembership:
    """Close the company's membership now; its history stays."""
    membership = _open_membership(group.id, company.id)
    if membership is None:
        raise DomainError(_l("%(company)s is not in this group.", company=company.name))
    membership.removed_at = max(utcnow(), membership.added_at)
    membership.removed_by_id = actor.id
    db.session.flush()
    audit.record(audit.GROUP_MEMBER_REMOVED, actor=actor, object_type="group", object_id=group.id,
                 changes={"company": company.id})
    _rescore(group, [company.id], local_date(membership.removed_at), actor)
    return membership


def current_company_ids(group_id: int) -> list[int]:
    return list(db.session.scalars(select(GroupMembership.company_id).where(
        GroupMembership.group_id == group_id, GroupMembership.removed_at.is_(None))))


def current_members(group_id: int, q: str = ""):
    """The select of the group's current memberships, companies loaded, by company name."""
    query = (select(GroupMembership).join(PartnerCompany, PartnerCompany.id == GroupMembership.company_id)
             .where(GroupMembership.group_id == group_id, GroupMembership.removed_at.is_(None))
             .options(selectinload(GroupMembership.company))
             .order_by(PartnerCompany.name, PartnerCompany.id))
    q = (q or "").strip()
    if q:
        query = query.where(or_(lower_text(PartnerCompany.name).like(f"%{q.lower()}%"),
                                PartnerCompany.inn.like(f"{normalize_inn(q)}%")))
    return query


def membership_history(group_id: int):
    """Every membership row of the group, newest change first: who was added or removed, when and by whom."""
    latest = func.coalesce(GroupMembership.removed_at, GroupMembership.added_at)
    return (select(GroupMembership).where(GroupMembership.group_id == group_id)
            .options(selectinload(GroupMembership.company))
            .order_by(latest.desc(), GroupMembership.id.desc()))


def company_groups(company_id: int) -> list[PartnerGroup]:
    """The groups a company is in now."""
    return list(db.session.scalars(
        select(PartnerGroup).join(GroupMembership, GroupMembership.group_id == PartnerGroup.id)
        .where(GroupMembership.company_id == company_id, GroupMembership.removed_at.is_(None))
        .order_by(PartnerGroup.name)))


def company_group_history(company_id: int) -> list[GroupMembership]:
    return list(db.session.scalars(
        select(GroupMembership).where(GroupMembership.company_id == company_id)
        .options(selectinload(GroupMembership.group))
        .order_by(GroupMembership.added_at.desc(), GroupMembership.id.desc())))


def company_group_ids(company_id: int | None, on: date | datetime | None = None) -> frozenset[int]:
    """The groups a company belonged to now, or on a day (at that day's end in the program's calendar)."""
    return group_ids_on(company_id, on)


def groups_by_ids(group_ids) -> list[PartnerGroup]:
    ids = [i for i in group_ids or () if isinstance(i, int)]
    if not ids:
        return []
    return list(db.session.scalars(select(PartnerGroup).where(PartnerGroup.id.in_(ids)).order_by(PartnerGroup.name)))


# --- finding companies for pickers -----------------------------------------------------------------


def find_companies(q: str, limit: int = 20) -> list[PartnerCompany]:
    """Companies whose name contains, or INN starts with, the text: for the searchable pickers."""
    q = clean_text(q).strip()[:200]
    query = select(PartnerCompany).where(PartnerCompany.status != REJECTED).order_by(PartnerCompany.name)
    if q:
        digits = normalize_inn(q)
        conditions = [lower_text(PartnerCompany.name).like(f"%{q.lower()}%")]
        if digits.isdigit():
            conditions.append(PartnerCompany.inn.like(f"{digits}%"))
        query = query.where(or_(*conditions))
    return list(db.session.scalars(query.limit(limit)))


def resolve_company(text: str) -> PartnerCompany:
    """A company by its INN, or by its exact name: what a person types when the picker has no script."""
    text = " ".join(clean_text(text).split())[:200]
    if not text:
        raise DomainError(_l("Choose a company."), field="company")
    inn = normalize_inn(text)
    company = None
    if inn.isdigit():
        company = db.session.scalar(select(PartnerCompany).where(PartnerCompany.inn == inn))
    if company is None:
        matches = list(db.session.scalars(
            select(PartnerCompany).where(lower_text(PartnerCompany.name) == text.lower()).limit(2)))
        company = matches[0] if len(matches) == 1 else None
    if company is None:
        raise DomainError(_l("No company with this INN or name is in the program."), field="company")
    return company


# --- import of INNs --------------------------------------------------------------------------------

INN_HEADERS = {"inn", "инн"}


@dataclass
class MemberRow:
    number: int
    inn: str
    company: PartnerCompany | None = None
    errors: list[str] = field(default_factory=list)
    already: bool = False

    @property
    def valid(self) -> bool:
        return self.company is not None and not self.errors


def check_member_import(group: PartnerGroup, rows: list[list]) -> list[MemberRow]:
    """Check each row's INN; nothing is written. A header row (INN / ИНН) is optional."""
    if not rows or not any(str(v or "").strip() for row in rows for v in row):
        raise DomainError(_l("The file is empty."), field="file")
    column, start = 0, 1
    header = [_cell_text(v).lower() for v in rows[0]]
    if any(h in INN_HEADERS for h in header):
        column = next(i for i, h in enumerate(header) if h in INN_HEADERS)
        start = 2
    elif header and not normalize_inn(header[0]).isdigit():
        raise DomainError(_l("The file needs a column of INNs, headed INN or ИНН."), field="file")
    body = rows[start - 1:]
    if len(body) > 20_000:
        raise DomainError(_l("The file has too many rows: at most 20,000 at a time."), field="file")
    inns = {}
    for raw in body:
        value = raw[column] if column < len(raw) else None
        inns[len(inns)] = normalize_inn(_cell_text(value))
    known = {c.inn: c for c in db.session.scalars(
        select(PartnerCompany).where(PartnerCompany.inn.in_([i for i in set(inns.values()) if i])))}
    members = set(current_company_ids(group.id))
    result, seen = [], set()
    for index, raw in enumerate(body):
        if not any(str(v or "").strip() for v in raw):
            continue
        inn = inns[index]
        row = MemberRow(start + index, inn)
        if not is_valid_inn(inn):
            row.errors.append(str(_l("not a valid INN")))
        elif inn in seen:
            row.errors.append(str(_l("the INN repeats an earlier row")))
        elif inn not in known:
            row.errors.append(str(_l("no company with this INN is in the program")))
        elif known[inn].status == REJECTED:
            row.errors.append(str(_l("the company is not admitted to the program")))
        else:
            row.company = known[inn]
            row.already = row.company.id in members
        seen.add(inn)
        result.append(row)
    return result


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet keeps an INN typed as a number as a float
    return clean_text(value).strip()[:100]


def apply_member_import(group: PartnerGroup, rows: list[MemberRow], actor: User) -> int:
    """Add the rows' companies that are not in the group yet, or none when any row is wrong. Returns how many
    were added."""
    if not rows or not all(row.valid for row in rows):
        raise DomainError(_l("The file has errors: nothing was imported."))
    return add_companies(group, [row.company for row in rows if not row.already], actor)


def members_table(group: PartnerGroup) -> tuple[list[str], list[list]]:
    """The group's companies in the import's layout: the template to fill in, and an export that re-imports
    unchanged."""
    companies = db.session.scalars(select(PartnerCompany).where(
        PartnerCompany.id.in_(current_company_ids(group.id))).order_by(PartnerCompany.name))
    return ["ИНН", str(_l("Company"))], [[c.inn, c.name] for c in companies]


def group_names_of_companies(company_ids: list[int]) -> dict[int, list[str]]:
    """Each company's current group names, in one query for a list of companies."""
    names: dict[int, list[str]] = {}
    if not company_ids:
        return names
    rows = db.session.execute(
        select(GroupMembership.company_id, PartnerGroup.name)
        .join(PartnerGroup, PartnerGroup.id == GroupMembership.group_id)
        .where(GroupMembership.company_id.in_(company_ids), GroupMembership.removed_at.is_(None))
        .order_by(PartnerGroup.name))
    for company_id, name in rows:
        names.setdefault(company_id, []).append(name)
    return names
