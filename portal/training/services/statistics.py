"""Who passed which course, for managers and partner admins."""

from sqlalchemy import func, select

from portal.auth.models import AUDIENCES, PARTNER_ROLES, User
from portal.extensions import db
from portal.training.models import Course, CourseCompletion


def completions(course_id: int | None = None, company_id: int | None = None):
    query = select(CourseCompletion).order_by(CourseCompletion.passed_at.desc())
    if course_id:
        query = query.where(CourseCompletion.course_id == course_id)
    if company_id:
        query = query.where(CourseCompletion.company_id == company_id)
    return query


def completion_stats(company_id: int | None = None) -> list[dict]:
    """Per course: how many passed, by audience; the base is everyone who may take it."""
    rows = []
    for course in db.session.scalars(select(Course).order_by(Course.id)):
        audiences = [course.audience] if course.audience else list(AUDIENCES)
        eligible_q = select(func.count(User.id)).where(User.role.in_(PARTNER_ROLES), User.active.is_(True),
                                                       User.audience.in_(audiences))
        passed_q = select(User.audience, func.count(CourseCompletion.id)).join(
            User, User.id == CourseCompletion.user_id).where(CourseCompletion.course_id == course.id)
        if company_id:
            eligible_q = eligible_q.where(User.company_id == company_id)
            passed_q = passed_q.where(CourseCompletion.company_id == company_id)
        by_audience = dict(db.session.execute(passed_q.group_by(User.audience)).all())
        eligible = db.session.scalar(eligible_q) or 0
        passed = sum(by_audience.values())
        rows.append({"course": course, "eligible": eligible, "passed": passed, "by_audience": by_audience,
                     "share": round(100 * passed / eligible) if eligible else 0})
    return rows
