"""What a participant sees: the courses open to them, their progress, and lessons read."""

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal.auth.models import PARTNER_ROLES, STAFF_ROLES, User
from portal.core.sql import insert_ignoring_duplicates
from portal.core.time import utcnow
from portal.extensions import db
from portal.training.models import (
    FAILED,
    IN_PROGRESS,
    LESSON,
    NOT_STARTED,
    PASSED,
    Course,
    CourseCompletion,
    CourseItem,
    LessonView,
    QuizAttempt,
)

from .attempts import _exhausted_rows


def visible_courses(user: User):
    query = select(Course).where(Course.published.is_(True)).order_by(Course.id).options(selectinload(Course.items))
    if user.role in PARTNER_ROLES:
        query = query.where(or_(Course.audience.is_(None), Course.audience == user.audience))
    return list(db.session.scalars(query))


def can_open(user: User, course: Course) -> bool:
    if user.role in STAFF_ROLES:
        return True  # the program team previews everything
    return course.published and (course.audience is None or course.audience == user.audience)


@dataclass
class Progress:
    done_item_ids: set
    completion: CourseCompletion | None
    total: int
    exhausted_quiz_ids: set = field(default_factory=set)  # quizzes failed with every attempt used

    @property
    def status(self) -> str:
        if self.completion is not None:
            return PASSED
        if self.exhausted_quiz_ids:
            return FAILED
        return IN_PROGRESS if self.done_item_ids else NOT_STARTED

    @property
    def percent(self) -> int:
        if self.completion is not None:
            return 100
        return round(100 * len(self.done_item_ids) / self.total) if self.total else 0


def progress(user: User, course: Course) -> Progress:
    return progress_of(user, [course])[course.id]


def progress_of(user: User, courses: list[Course]) -> dict[int, Progress]:
    """Each course's progress for one person, in four queries whatever the number of courses (the course list
    and the home page show every visible course)."""
    item_ids = [item.id for course in courses for item in course.items]
    viewed, passed_quizzes, completions, exhausted = set(), set(), {}, set()
    if item_ids:
        viewed = set(db.session.scalars(
            select(LessonView.item_id).where(LessonView.user_id == user.id, LessonView.item_id.in_(item_ids))))
        passed_quizzes = set(db.session.scalars(
            select(QuizAttempt.item_id).where(QuizAttempt.user_id == user.id, QuizAttempt.item_id.in_(item_ids),
                                              QuizAttempt.passed.is_(True))))
    if courses:
        completions = {completion.course_id: completion for completion in db.session.scalars(
            select(CourseCompletion).where(CourseCompletion.user_id == user.id,
                                           CourseCompletion.course_id.in_([course.id for course in courses])))}
    open_item_ids = [item.id for course in courses if course.id not in completions for item in course.items]
    if open_item_ids:
        exhausted = {item_id for _user, item_id, _used, _allowed in
                     _exhausted_rows(user_id=user.id, item_ids=open_item_ids)}
    result = {}
    for course in courses:
        ids = {item.id for item in course.items}
        completion = completions.get(course.id)
        result[course.id] = Progress((viewed | passed_quizzes) & ids, completion, len(ids),
                                     set() if completion is not None else exhausted & ids)
    return result


def next_item(course: Course, done: set) -> CourseItem | None:
    """Where to continue: the first item not done yet."""
    return next((item for item in course.items if item.id not in done), None)


def mark_viewed(user: User, item: CourseItem) -> None:
    if item.kind != LESSON or user.role not in PARTNER_ROLES:
        return
    # Two clicks on "Next" at once record one view.
    insert_ignoring_duplicates(LessonView, [{"user_id": user.id, "item_id": item.id, "viewed_at": utcnow()}],
                               ["user_id", "item_id"])
