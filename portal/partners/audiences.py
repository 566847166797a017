"""A person's audience ('manager' or 'specialist') over time: chosen once at registration, then decided by the
partner admin (for their own company's staff) or the program team, from the program calendar day it is made.

The spans are the history `portal.partners.history.audience_on` reads; users.audience is the current value,
kept in step in the same transaction.
"""

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.models import AUDIENCES, PARTNER_ADMIN, PARTNER_ROLES, STAFF_ROLES, User
from portal.core import events
from portal.core.errors import DomainError, NotAllowed
from portal.core.time import local_date, local_day_start, today
from portal.extensions import db
from portal.partners.models import AudienceSpan


def start_audience(user: User, audience: str) -> AudienceSpan:
    """The first span, from the moment the person registered: the audience they chose then."""
    user.audience = audience
    span = AudienceSpan(user_id=user.id, audience=audience, started_at=user.created_at)
    db.session.add(span)
    db.session.flush()
    return span


def audience_history(user: User) -> list[AudienceSpan]:
    """The person's audience spans, newest first."""
    return list(db.session.scalars(
        select(AudienceSpan).where(AudienceSpan.user_id == user.id)
        .order_by(AudienceSpan.started_at.desc(), AudienceSpan.id.desc())))


def may_change_audience(actor: User, user: User) -> bool:
    """Whether `actor` decides `user`'s audience: the program team anyone's, a partner admin their colleagues'."""
    if user.role not in PARTNER_ROLES or user.id == actor.id:
        return False
    if actor.role in STAFF_ROLES:
        return True
    return actor.role == PARTNER_ADMIN and actor.company_id is not None and actor.company_id == user.company_id


def change_audience(user: User, audience: str | None, actor: User, effective: date | None = None) -> AudienceSpan:
    """Move the person to another audience from tomorrow, the first program calendar day after the change.

    A change cannot be dated in the future, before the person registered, or back to an earlier day: sales,
    courses and leads already counted for their day keep the audience they had then. The new audience counts
    from tomorrow, the first program day that has not begun: today's events were already counted for the
    audience of today, and a counter must never have to move an event it has counted (the new span starts when
    tomorrow begins). The person's current audience (users.audience) is the new one at once.
    Sends `audience_changed` once the new span is flushed.
    """
    if user.role not in PARTNER_ROLES:
        raise DomainError(_l("A program team account has no audience."))
    if user.id == actor.id:
        raise NotAllowed(_l("You cannot change your own audience: your partner admin or the program team decides "
                            "it."))
    if not may_change_audience(actor, user):
        raise NotAllowed(_l("A partner admin changes the audience only of their own company's staff."))
    if audience not in AUDIENCES:
        raise DomainError(_l("Choose the audience: manager or specialist."), field="audience")
    day = today()
    effective = day if effective is None else effective
    if effective > day:
        raise DomainError(_l("An audience change cannot take effect in the future: it counts from the day it is "
                             "made."), field="effective")
    if effective < local_date(user.created_at):
        raise DomainError(_l("An audience change cannot take effect before the person registered."),
                          field="effective")
    if effective < day:
        raise DomainError(_l("An audience change cannot be backdated: it counts from tomorrow."), field="effective")
    old = user.audience
    if audience == old:
        raise DomainError(_l("%(name)s is already in the audience “%(audience)s”.", name=user.full_name,
                             audience=user.audience_label), field="audience")

    current = db.session.scalar(
        select(AudienceSpan).where(AudienceSpan.user_id == user.id, AudienceSpan.ended_at.is_(None)))
    if current is None and old is not None and not audience_history(user):
        # An account made before audiences had history (or outside registration): its audience so far.
        current = start_audience(user, old)
    starts = local_day_start(day + timedelta(days=1))
    if current is not None:
        starts = max(starts, current.started_at)
        current.ended_at = starts
        db.session.flush()  # close the open span before the unique index sees a second one
    span = AudienceSpan(user_id=user.id, audience=audience, started_at=starts, changed_by_id=actor.id)
    db.session.add(span)
    user.audience = audience
    db.session.flush()
    events.audience_changed.send(user, old_audience=old, new_audience=audience, effective=day + timedelta(days=1),
                                 actor=actor)
    return span
