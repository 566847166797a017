"""The funnel's steps, recorded by the events of registration, confirmation, approval, the first approved sale and
the first passed course, in the same transaction as the event. A company is matched by its INN when someone of it
registers (or by the contact's address), from then on by the company itself."""

from sqlalchemy import or_, select, update

from portal.core import events
from portal.core.time import utcnow
from portal.extensions import db

from .models import REGISTERED, RecruitmentInvitee


def _set_first(company_id: int, column: str, moment) -> None:
    db.session.execute(update(RecruitmentInvitee).where(
        RecruitmentInvitee.company_id == company_id, getattr(RecruitmentInvitee, column).is_(None))
        .values({column: moment}).execution_options(synchronize_session="fetch"))


@events.participant_registered.connect
def _registered(user, **extra):
    company = user.company
    if company is None:
        return
    now = utcnow()
    matched = or_(RecruitmentInvitee.inn == company.inn, RecruitmentInvitee.email == user.email)
    invitees = db.session.scalars(select(RecruitmentInvitee).where(
        matched, RecruitmentInvitee.company_id.is_(None), RecruitmentInvitee.registered_at.is_(None)))
    for invitee in invitees:
        invitee.stopped = invitee.stopped or REGISTERED
        if invitee.inn != company.inn or invitee.invited_at is None:
            continue  # the contact joined another company, or the company joined before the campaign wrote to it
        invitee.company_id = company.id
        invitee.registered_at = now
        invitee.opened_at = invitee.opened_at or now  # registered without the link: it knew the way
        if user.email_confirmed_at is not None:
            invitee.confirmed_at = now
        if company.is_approved:
            invitee.approved_at = now
    db.session.flush()


@events.email_confirmed.connect
def _confirmed(user, **extra):
    if user.company_id is not None:
        _set_first(user.company_id, "confirmed_at", user.email_confirmed_at or utcnow())


@events.company_approved.connect
def _approved(company, **extra):
    _set_first(company.id, "approved_at", company.reviewed_at or utcnow())


@events.claim_approved.connect
def _first_sale(claim, **extra):
    _set_first(claim.company_id, "first_sale_at", claim.decided_at or utcnow())


@events.course_passed.connect
def _first_course(completion, **extra):
    company_id = completion.company_id or (completion.user.company_id if completion.user else None)
    if company_id is not None:
        _set_first(company_id, "first_course_at", completion.passed_at or utcnow())
