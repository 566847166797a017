"""Training rules: who sees which course, lessons read, quizzes scored, and points on the first pass only."""

import random
from dataclasses import dataclass, field

import nh3
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from portal.auth.models import AUDIENCES, PARTNER_ROLES, STAFF_ROLES, User
from portal.core import events
from portal.core.errors import DomainError, NotAllowed
from portal.core.sql import insert_ignoring_duplicates
from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.training.models import (
    FAILED,
    IN_PROGRESS,
    LESSON,
    NOT_STARTED,
    PASSED,
    QUIZ,
    AttemptGrant,
    Choice,
    Course,
    CourseCompletion,
    CourseItem,
    LessonView,
    Question,
    QuizAttempt,
)

ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "hr", "figure", "figcaption",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}}


def sanitize(html: str | None) -> str:
    """Managers write lessons in HTML; only harmless markup is kept (no scripts, handlers or javascript: links)."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


# --- what a participant sees ---------------------------------------------------------------------


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


# --- quizzes -------------------------------------------------------------------------------------


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


# --- attempts used up ----------------------------------------------------------------------------


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


# --- managing courses ----------------------------------------------------------------------------


def save_course(course: Course | None, *, title: str, description: str, audience: str | None, points: int,
                duration_minutes: int, published: bool, title_en: str | None = None,
                description_en: str | None = None, lessons_first: bool | None = None) -> Course:
    if not (title or "").strip():
        raise DomainError(_l("Give the course a title."), field="title")
    if points is None or points < 0:
        raise DomainError(_l("Points cannot be negative."), field="points")
    if course is None:
        course = Course()
        db.session.add(course)
    course.title = title.strip()
    course.description = sanitize(description)
    course.audience = audience or None
    course.points = points
    course.duration_minutes = duration_minutes or 0
    course.title_en = " ".join((title_en or "").split()) or None
    course.description_en = sanitize(description_en) if (description_en or "").strip() else None
    if lessons_first is not None:
        course.lessons_first = lessons_first
    if published and not any(i.kind == QUIZ and i.questions for i in course.items):
        raise DomainError(_l("A course needs a quiz with questions before it is published."), field="published")
    course.published = published
    db.session.flush()
    return course


def add_item(course: Course, kind: str, title: str) -> CourseItem:
    if not (title or "").strip():
        raise DomainError(_l("Give it a title."), field="title")
    item = CourseItem(course_id=course.id, kind=kind, title=title.strip(),
                      position=max((i.position for i in course.items), default=0) + 1)
    db.session.add(item)
    db.session.flush()
    db.session.refresh(course)
    return item


def save_item(item: CourseItem, *, title: str, body: str = "", pass_mark: int | None = None,
              max_attempts: int | None = None, attachment: tuple[str, str, str] | None = None) -> None:
    if not (title or "").strip():
        raise DomainError(_l("Give it a title."), field="title")
    item.title = title.strip()
    if item.kind == LESSON:
        item.body = sanitize(body)
        if attachment is not None:
            item.attachment_path, item.attachment_name, item.attachment_mimetype = attachment
    else:
        if pass_mark is None or not 1 <= pass_mark <= 100:
            raise DomainError(_l("The pass mark is a percent from 1 to 100."), field="pass_mark")
        item.pass_mark = pass_mark
        item.max_attempts = max_attempts or None
    db.session.flush()


def move_item(item: CourseItem, direction: int) -> None:
    items = list(item.course.items)
    index = items.index(item)
    other = index + direction
    if 0 <= other < len(items):
        items[index].position, items[other].position = items[other].position, items[index].position
        db.session.flush()


def add_question(item: CourseItem, text: str, choices: list[tuple[str, bool]], multiple: bool) -> Question:
    choices = [(t.strip(), ok) for t, ok in choices if t and t.strip()]
    if not (text or "").strip():
        raise DomainError(_l("Write the question."), field="text")
    if len(choices) < 2:
        raise DomainError(_l("Give at least two answers."), field="choices")
    right = sum(1 for _, ok in choices if ok)
    if right == 0:
        raise DomainError(_l("Tick the right answer."), field="choices")
    if right > 1 and not multiple:
        raise DomainError(_l("Several right answers: make it a multiple-choice question."), field="choices")
    question = Question(item_id=item.id, text=text.strip(), multiple=multiple,
                        position=max((q.position for q in item.questions), default=0) + 1)
    question.choices = [Choice(text=t, correct=ok) for t, ok in choices]
    db.session.add(question)
    db.session.flush()
    return question


# --- statistics ----------------------------------------------------------------------------------


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
