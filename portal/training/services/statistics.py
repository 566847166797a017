"""Who passed which course, for managers and partner admins."""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.auth.models import AUDIENCES, PARTNER_ROLES, User
from portal.extensions import db
from portal.training.models import Course, CourseCompletion


def completions(course_id: int | None = None, company_id: int | None = None):
    """Completions, newest first, with the person, company and course each row names (no read per row)."""
    query = select(CourseCompletion).options(
        joinedload(CourseCompletion.user), joinedload(CourseCompletion.company), joinedload(CourseCompletion.course),
    ).order_by(CourseCompletion.passed_at.desc())
    if course_id:
        query = query.where(CourseCompletion.course_id == course_id)
    if company_id:
        query = query.where(CourseCompletion.company_id == company_id)
    return query


def completion_stats(company_id: int | None = None) -> list[dict]:
    """Per course: how many passed, by audience; the base is everyone who may take it (the active partner people of
    the course's audience, or of every audience). Three reads whatever the number of courses."""
    eligible_q = select(User.audience, func.count(User.id)).where(
        User.role.in_(PARTNER_ROLES), User.active.is_(True), User.audience.in_(AUDIENCES))
    passed_q = select(CourseCompletion.course_id, User.audience, func.count(CourseCompletion.id)).join(
        User, User.id == CourseCompletion.user_id)
    if company_id:
        eligible_q = eligible_q.where(User.company_id == company_id)
        passed_q = passed_q.where(CourseCompletion.company_id == company_id)
    eligible_by_audience = dict(db.session.execute(eligible_q.group_by(User.audience)).all())
    passed: dict[int, dict] = {}
    for course_id, audience, count in db.session.execute(
            passed_q.group_by(CourseCompletion.course_id, User.audience)):
        passed.setdefault(course_id, {})[audience] = count
    rows = []
    for course in db.session.scalars(select(Course).order_by(Course.id)):
        audiences = [course.audience] if course.audience else list(AUDIENCES)
        eligible = sum(eligible_by_audience.get(audience, 0) for audience in audiences)
        by_audience = passed.get(course.id, {})
        done = sum(by_audience.values())
        rows.append({"course": course, "eligible": eligible, "passed": done, "by_audience": by_audience,
                     "share": round(100 * done / eligible) if eligible else 0})
    return rows
