"""Partner company rules: registration by INN, approval, invitations and moving people between companies."""

import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal_column, or_, select, table, text, update
from sqlalchemy.orm import selectinload

from portal.auth.emails import check_email, find_user_by_email
from portal.auth.models import PARTNER_ADMIN, PARTNER_ROLES, User
from portal.core import events
from portal.core.errors import DomainError, NotAllowed
from portal.core.inn import is_valid_inn, normalize_inn
from portal.core.sql import lower_text
from portal.core.time import utcnow
from portal.core.tokens import TokenExpired, TokenInvalid, make_token, read_token
from portal.extensions import db
from portal.partners.history import group_company_ids_on
from portal.partners.models import (
    APPROVED,
    PENDING,
    REJECTED,
    CompanyMembership,
    GroupMembership,
    Invitation,
    PartnerCompany,
)

INVITATION = "invitation"


def check_inn(inn: str) -> str:
    inn = normalize_inn(inn)
    if not is_valid_inn(inn):
        raise DomainError(_l("Enter a valid INN: 10 or 12 digits with a correct check digit."), field="inn")
    return inn


def find_company_by_inn(inn: str) -> PartnerCompany | None:
    return db.session.scalar(select(PartnerCompany).where(PartnerCompany.inn == normalize_inn(inn)))


def company_for_registration(inn: str, name: str, region: str) -> PartnerCompany:
    """The company a new participant joins: the known one with this INN, or a new one pending approval."""
    inn = check_inn(inn)
    company = find_company_by_inn(inn)
    if company is not None:
        if company.status == REJECTED:
            raise DomainError(
                _l("This company was not admitted to the program. Contact the program team."), field="inn"
            )
        return company
    name = " ".join((name or "").split())
    region = " ".join((region or "").split())
    if not name:
        raise DomainError(_l("This INN is new to the program: enter the company's name."), field="company_name")
    if not region:
        raise DomainError(_l("Enter the company's region."), field="company_region")
    company = PartnerCompany(inn=inn, name=name, region=region, status=PENDING)
    company.region_en = db.session.scalar(select(PartnerCompany.region_en).where(
        PartnerCompany.region == region, PartnerCompany.region_en.is_not(None)).limit(1))
    db.session.add(company)
    db.session.flush()
    return company


def create_company(inn: str, name: str, region: str, actor: User, region_en: str | None = None) -> PartnerCompany:
    """A program manager adds a company; it is approved at once. An English name for the region names that
    region for every company in it."""
    inn = check_inn(inn)
    if find_company_by_inn(inn) is not None:
        raise DomainError(_l("A company with this INN is already in the program."), field="inn")
    company = PartnerCompany(
        inn=inn, name=" ".join(name.split()), region=" ".join(region.split()), status=APPROVED,
        reviewed_at=utcnow(), reviewed_by_id=actor.id,
    )
    db.session.add(company)
    db.session.flush()
    name_region(company.region, region_en)
    return company


def name_region(region: str, region_en: str | None) -> None:
    """Give a region its English name (for every company in it); without one, reuse a name given before."""
    region_en = " ".join((region_en or "").split())[:120] or db.session.scalar(
        select(PartnerCompany.region_en).where(PartnerCompany.region == region, PartnerCompany.region_en.is_not(None))
        .limit(1))
    if region_en:
        db.session.execute(update(PartnerCompany).where(PartnerCompany.region == region)
                           .values(region_en=region_en).execution_options(synchronize_session="fetch"))


def approve_company(company: PartnerCompany, actor: User) -> None:
    if company.status == APPROVED:
        return
    company.status = APPROVED
    company.reviewed_at = utcnow()
    company.reviewed_by_id = actor.id
    company.rejection_reason = None
    events.company_approved.send(company)


def reject_company(company: PartnerCompany, actor: User, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say why the company is rejected: its staff will see it."), field="reason")
    if company.status == APPROVED and company.staff:
        raise DomainError(_l("The company already has approved staff: move them before rejecting it."))
    company.status = REJECTED
    company.reviewed_at = utcnow()
    company.reviewed_by_id = actor.id
    company.rejection_reason = reason


def start_membership(user: User, company: PartnerCompany, actor: User | None = None) -> CompanyMembership:
    membership = CompanyMembership(user_id=user.id, company_id=company.id, changed_by_id=actor.id if actor else None)
    user.company_id = company.id
    db.session.add(membership)
    db.session.flush()
    return membership


def current_membership(user: User) -> CompanyMembership | None:
    return db.session.scalar(
        select(CompanyMembership).where(CompanyMembership.user_id == user.id, CompanyMembership.ended_at.is_(None))
    )


def membership_history(user: User) -> list[CompanyMembership]:
    return list(
        db.session.scalars(
            select(CompanyMembership)
            .where(CompanyMembership.user_id == user.id)
            .order_by(CompanyMembership.started_at.desc(), CompanyMembership.id.desc())
        )
    )


def move_participant(user: User, company: PartnerCompany, actor: User) -> None:
    """Move a person to another company. Their account, points and history stay theirs."""
    if user.role not in PARTNER_ROLES:
        raise DomainError(_l("Only partner staff belong to partner companies."))
    if user.company_id == company.id:
        raise DomainError(_l("The person already works for this company."), field="company")
    if company.status == REJECTED:
        raise DomainError(_l("This company is not admitted to the program."), field="company")
    now = utcnow()
    current = current_membership(user)
    if current is not None:
        current.ended_at = now
        db.session.flush()  # close the open row before the unique index sees a second one
    db.session.add(CompanyMembership(user_id=user.id, company_id=company.id, started_at=now, changed_by_id=actor.id))
    old_company_id = user.company_id
    user.company_id = company.id
    if user.role == PARTNER_ADMIN:
        user.role = "participant"  # heading a company does not carry over to the next one
    db.session.flush()
    events.participant_moved.send(user, old_company_id=old_company_id, new_company_id=company.id)


def invite_colleague(actor: User, email: str) -> Invitation:
    """A partner admin invites someone to register in their company. Inviting again renews the link."""
    if actor.role != PARTNER_ADMIN or actor.company_id is None:
        raise NotAllowed(_l("Only a partner admin can invite colleagues."))
    if not actor.company.is_approved:
        raise DomainError(_l("Your company is awaiting approval: invitations open once it is approved."))
    email = check_email(email)
    if find_user_by_email(email) is not None:
        raise DomainError(_l("This person already has an account in the program."), field="email")
    now = utcnow()
    valid_for = current_app.config["INVITATION_VALID_FOR"]
    invitation = db.session.scalar(
        select(Invitation).where(
            Invitation.company_id == actor.company_id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    )
    if invitation is None:
        invitation = Invitation(
            company_id=actor.company_id, email=email, invited_by_id=actor.id, expires_at=now + valid_for
        )
        db.session.add(invitation)
    else:
        invitation.expires_at = now + valid_for
        invitation.invited_by_id = actor.id
    db.session.flush()
    return invitation


def revoke_invitation(invitation: Invitation, actor: User) -> None:
    if actor.role != PARTNER_ADMIN or actor.company_id != invitation.company_id:
        raise NotAllowed(_l("You cannot revoke this invitation."))
    if invitation.accepted_at is None:
        invitation.revoked_at = utcnow()


def invitation_token(invitation: Invitation) -> str:
    return make_token(INVITATION, invitation.id)


def load_invitation(token: str) -> Invitation:
    try:
        invitation_id = read_token(INVITATION, token, current_app.config["INVITATION_VALID_FOR"])
    except (TokenExpired, TokenInvalid) as exc:
        raise DomainError(_l("This invitation link is not valid or has expired.")) from exc
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or not invitation.is_open:
        raise DomainError(_l("This invitation has already been used, revoked or has expired."))
    return invitation


def accept_invitation(invitation: Invitation, user: User) -> None:
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id


def open_invitations(company_id: int) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.company_id == company_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .order_by(Invitation.created_at.desc())
        )
    )


def _in_group(column, group_id: int):
    """`column` (a company id) belongs to a company that is in the group now."""
    return column.in_(select(GroupMembership.company_id).where(
        GroupMembership.group_id == group_id, GroupMembership.removed_at.is_(None)))


def people_order(q: str = "") -> tuple[tuple, tuple]:
    """search_people's order (by name, then id) and the same from the end, for pages read from the end.

    With a search the name is ordered as `full_name || ''`: the same order, which the (full_name, id) index
    cannot give. Otherwise PostgreSQL walks that index from "А" looking for the first 25 matches, which for a
    common surname near the end of the alphabet meant 82,000 rows and 290 ms at 100,000 people; without it, it
    takes the matches from the trigram index and sorts them (12 ms)."""
    name = User.full_name.concat("") if (q or "").strip() else User.full_name
    return (name, User.id), (name.desc(), User.id.desc())


PHONE_QUERY = re.compile(r"[\d\s()+\-]+")  # what people type for a phone: "916 123-45", "+7 (916) 12"


def _people_matching(q: str):
    """A substring of the name (any case, Cyrillic included) or of the email, or, when the query looks like a
    phone, four digits or more of the phone (an email fragment such as "p4999@" is not searched among phones:
    every phone shares digits with it, so no index could answer it). Read from an index on each engine
    (migration 0016): on SQLite the FTS5 trigram table users_search
    (three characters or more; `%` and `_` keep their LIKE meaning, so such a query is compared row by row as
    before); on PostgreSQL the pg_trgm GIN indexes on these very expressions."""
    like = f"%{q.lower()}%"
    digits = "".join(ch for ch in q if ch.isdigit()) if PHONE_QUERY.fullmatch(q) else ""
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite" and len(q) >= 3 and not set(q) & {"%", "_"}:
        phrase = '"{}"'.format(q.replace('"', '""'))
        expression = f"{{full_name email}} : {phrase}"
        if len(digits) >= 4:
            expression = f"({expression}) OR ({{phone}} : \"{digits}\")"
        found = select(literal_column("rowid")).select_from(table("users_search")).where(
            text("users_search MATCH :search").bindparams(search=expression))
        return User.id.in_(found)
    # PostgreSQL: the name lowercased and stored by the database (a generated column of migration 0021, not
    # mapped since SQLite has none), so the trigram index's recheck compares plain text.
    name = literal_column("users.full_name_key") if dialect == "postgresql" else lower_text(User.full_name)
    conditions = [name.like(like), User.email.like(like)]
    if len(digits) >= 4:
        conditions.append(User.phone.like(f"%{digits}%"))
    return or_(*conditions)


def search_people(*, q: str = "", role: str = "", audience: str = "", company_id: int | None = None, status: str = "",
                  group_id: int | None = None):
    """The select behind the console's people list; filters are optional and combine."""
    query = select(User).options(selectinload(User.company)).order_by(*people_order(q)[0])
    q = (q or "").strip()
    if q:
        query = query.where(_people_matching(q))
    if role:
        query = query.where(User.role == role)
    if audience:
        query = query.where(User.audience == audience)
    if company_id:
        query = query.where(User.company_id == company_id)
    if group_id:
        query = query.where(_in_group(User.company_id, group_id))
    if status == "active":
        query = query.where(User.active.is_(True))
    elif status == "inactive":
        query = query.where(User.active.is_(False))
    elif status == "unconfirmed":
        query = query.where(User.email_confirmed_at.is_(None))
    return query


def search_companies(*, q: str = "", status: str = "", region: str = "", group_id: int | None = None):
    """The select behind the console's company list: pending companies first, as they wait for someone."""
    query = select(PartnerCompany).order_by(
        (PartnerCompany.status != PENDING), PartnerCompany.name, PartnerCompany.id
    )
    q = (q or "").strip()
    if q:
        query = query.where(
            or_(lower_text(PartnerCompany.name).like(f"%{q.lower()}%"), PartnerCompany.inn.like(f"{normalize_inn(q)}%"))
        )
    if status:
        query = query.where(PartnerCompany.status == status)
    if region:
        query = query.where(PartnerCompany.region == region)
    if group_id:
        query = query.where(_in_group(PartnerCompany.id, group_id))
    return query


def staff_counts(company_ids: list[int]) -> dict[int, int]:
    """How many people each company has, in one query for a whole page of companies."""
    rows = db.session.execute(
        select(User.company_id, func.count(User.id)).where(User.company_id.in_(company_ids)).group_by(User.company_id)
    )
    return dict(rows.all())


def regions() -> list[str]:
    return list(db.session.scalars(select(PartnerCompany.region).distinct().order_by(PartnerCompany.region)))


def pending_companies_count():
    """How many companies await approval, as a select (the manager's dashboard reads its counts at once)."""
    return select(func.count(PartnerCompany.id)).where(PartnerCompany.status == PENDING)


def count_pending_companies() -> int:
    return db.session.scalar(pending_companies_count()) or 0


def group_company_ids(group_id: int, at=None) -> list[int]:
    """The companies in a group now, or at the moment `at` (memberships are dated)."""
    return group_company_ids_on(group_id, at)


def team_query(company_id: int, q: str = ""):
    """A partner company's staff by name, searchable by name or email, for the partner admin's team page."""
    query = select(User).where(User.company_id == company_id).order_by(User.full_name, User.id)
    if q.strip():
        needle = f"%{q.strip().lower()}%"
        query = query.where(or_(lower_text(User.full_name).like(needle), lower_text(User.email).like(needle)))
    return query
