"""Taking a quiz: the questions in a shuffled order, attempts, the score, and the course passed with its points."""

import random
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.auth.models import PARTNER_ROLES, User
from portal.core import events
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.ledger import services as ledger
from portal.training.models import (
    LESSON,
    QUIZ,
    AttemptGrant,
    Course,
    CourseCompletion,
    CourseItem,
    LessonView,
    Question,
    QuizAttempt,
)

from .progress import can_open


def shuffled_questions(item: CourseItem, user: User, attempt_number: int) -> list[Question]:
    """The quiz's questions and choices in an order of their own for each person and attempt."""
    rng = random.Random(f"{item.id}:{user.id}:{attempt_number}")
    questions = list(item.questions)
    rng.shuffle(questions)
    for question in questions:
        question.shuffled_choices = list(question.choices)
        rng.shuffle(question.shuffled_choices)
    return questions


def allowed_attempts(user: User, item: CourseItem) -> int | None:
    """The quiz's attempts plus any a manager granted this person; None: unlimited."""
    if item.max_attempts is None:
        return None
    extra = db.session.scalar(select(func.coalesce(func.sum(AttemptGrant.extra), 0))
                              .where(AttemptGrant.user_id == user.id, AttemptGrant.item_id == item.id))
    return item.max_attempts + int(extra or 0)


def unread_lessons(user: User, item: CourseItem) -> list[CourseItem]:
    """Lessons before this quiz the person has not read yet, when the course wants lessons first."""
    course = item.course
    if not course.lessons_first or user.role not in PARTNER_ROLES:
        return []
    before = [i for i in course.items if i.position < item.position and i.kind == LESSON]
    if not before:
        return []
    read = set(db.session.scalars(select(LessonView.item_id).where(
        LessonView.user_id == user.id, LessonView.item_id.in_([i.id for i in before]))))
    return [i for i in before if i.id not in read]


def attempts_of(user: User, item: CourseItem) -> list[QuizAttempt]:
    return list(db.session.scalars(
        select(QuizAttempt).where(QuizAttempt.user_id == user.id, QuizAttempt.item_id == item.id)
        .order_by(QuizAttempt.number)))


def score(item: CourseItem, answers: dict[int, set[int]]) -> int:
    """Percent of questions answered exactly right: a question is right only when the ticked choices are
    exactly its right ones (a partial answer counts as wrong)."""
    if not item.questions:
        return 0
    right = sum(
        1 for q in item.questions if answers.get(q.id, set()) == {c.id for c in q.choices if c.correct}
    )
    return round(100 * right / len(item.questions))


@dataclass
class QuizResult:
    attempt: QuizAttempt
    course_passed_now: bool
    points: int


def submit_quiz(user: User, item: CourseItem, answers: dict[int, set[int]]) -> QuizResult:
    """Score an attempt. Passing the course's last quiz passes the course; points come on the first pass only,
    whatever the number of attempts, reloads or parallel submissions."""
    if user.role not in PARTNER_ROLES:
        raise NotAllowed(_l("Only participants take quizzes."))
    if item.kind != QUIZ:
        raise DomainError(_l("This is not a quiz."))
    course = item.course
    if not can_open(user, course):
        raise NotAllowed(_l("This course is not available to you."))
    # One submission at a time per person: attempts are counted and the first pass is decided under the lock.
    ledger.lock_participant(user.id)
    earlier = attempts_of(user, item)
    if any(a.passed for a in earlier):
        raise DomainError(_l("You have already passed this quiz."))
    allowed = allowed_attempts(user, item)
    if allowed is not None and len(earlier) >= allowed:
        raise DomainError(_l("No attempts left for this quiz."))
    if unread_lessons(user, item):
        raise DomainError(_l("Read the course's lessons before taking the quiz."))
    valid = {q.id: {c.id for c in q.choices} for q in item.questions}
    clean = {qid: {cid for cid in chosen if cid in valid.get(qid, set())} for qid, chosen in answers.items()}
    percent = score(item, clean)
    attempt = QuizAttempt(user_id=user.id, item_id=item.id, number=len(earlier) + 1, score=percent,
                          passed=percent >= item.pass_mark,
                          answers={str(k): sorted(v) for k, v in clean.items()})
    db.session.add(attempt)
    db.session.flush()
    quizzes = [i for i in course.items if i.kind == QUIZ]
    passed_now = attempt.passed and quizzes and quizzes[-1].id == item.id
    points = _complete(user, course) if passed_now else 0
    return QuizResult(attempt, bool(passed_now), points)


def _complete(user: User, course: Course) -> int:
    existing = db.session.scalar(
        select(CourseCompletion).where(CourseCompletion.user_id == user.id, CourseCompletion.course_id == course.id))
    if existing is not None:
        return 0
    total_attempts = db.session.scalar(
        select(func.count(QuizAttempt.id)).where(QuizAttempt.user_id == user.id,
                                                 QuizAttempt.item_id.in_([i.id for i in course.items])))
    completion = CourseCompletion(user_id=user.id, course_id=course.id, company_id=user.company_id,
                                  attempts=total_attempts, points=course.points)
    db.session.add(completion)
    db.session.flush()
    events.course_passed.send(completion)
    if course.points > 0:
        ledger.earn(user.id, course.points, key=f"course:{course.id}:user:{user.id}", source_type="course",
                    source_id=course.id, params={"title": course.title})
    return course.points


def show_answers(item: CourseItem, attempts: list[QuizAttempt], allowed: int | None = None) -> bool:
    """Right answers are shown once passed, or after the last attempt."""
    if any(a.passed for a in attempts):
        return True
    allowed = item.max_attempts if allowed is None else allowed
    return allowed is not None and len(attempts) >= allowed
