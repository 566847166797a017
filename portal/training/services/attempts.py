"""Quizzes failed with every attempt used, and extra attempts a manager grants."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from portal.auth.models import PARTNER_ROLES, STAFF_ROLES, User
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.training.models import QUIZ, AttemptGrant, CourseItem, QuizAttempt


def _exhausted_rows(*, user_id: int | None = None, item_ids: list[int] | None = None):
    """(user id, quiz id, attempts used, attempts allowed) for quizzes failed with every attempt used."""
    grants = (select(AttemptGrant.user_id, AttemptGrant.item_id, func.sum(AttemptGrant.extra).label("extra"))
              .group_by(AttemptGrant.user_id, AttemptGrant.item_id).subquery())
    allowed = CourseItem.max_attempts + func.coalesce(grants.c.extra, 0)
    query = (
        select(QuizAttempt.user_id, QuizAttempt.item_id, func.count(QuizAttempt.id), allowed)
        .join(CourseItem, CourseItem.id == QuizAttempt.item_id)
        .outerjoin(grants, and_(grants.c.user_id == QuizAttempt.user_id, grants.c.item_id == QuizAttempt.item_id))
        .where(CourseItem.max_attempts.is_not(None))
        .group_by(QuizAttempt.user_id, QuizAttempt.item_id, CourseItem.max_attempts, grants.c.extra)
        .having(func.count(QuizAttempt.id) >= allowed)
        .having(func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)) == 0)
        .order_by(QuizAttempt.item_id, QuizAttempt.user_id)
    )
    if user_id is not None:
        query = query.where(QuizAttempt.user_id == user_id)
    if item_ids is not None:
        query = query.where(QuizAttempt.item_id.in_(item_ids))
    return db.session.execute(query).all()


def exhausted_attempts() -> list[dict]:
    """Who failed which quiz with no attempts left, for managers to decide on extra attempts."""
    rows = _exhausted_rows()
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({r[0] for r in rows})))}
    items = {i.id: i for i in db.session.scalars(select(CourseItem).where(CourseItem.id.in_({r[1] for r in rows})))}
    return [{"user": users[u], "item": items[i], "used": used, "allowed": allowed} for u, i, used, allowed in rows]


def recent_grants(limit: int = 50) -> list[AttemptGrant]:
    return list(db.session.scalars(select(AttemptGrant).order_by(AttemptGrant.id.desc()).limit(limit)))


def grant_attempts(actor: User, user: User, item: CourseItem, extra: int, reason: str) -> AttemptGrant:
    """Give a participant more attempts at a quiz, with the reason, logged with the manager's name."""
    if actor.role not in STAFF_ROLES:
        raise NotAllowed(_l("Only the program team grants extra attempts."))
    if item.kind != QUIZ or item.max_attempts is None:
        raise DomainError(_l("This quiz has no limit on attempts."))
    if not isinstance(extra, int) or not 1 <= extra <= 10:
        raise DomainError(_l("Grant from 1 to 10 attempts."), field="extra")
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise DomainError(_l("Say why the extra attempts are granted."), field="reason")
    if user.role not in PARTNER_ROLES:
        raise DomainError(_l("Only participants take quizzes."))
    grant = AttemptGrant(user_id=user.id, item_id=item.id, extra=extra, reason=reason, granted_by_id=actor.id)
    db.session.add(grant)
    db.session.flush()
    return grant
