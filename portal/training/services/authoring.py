"""Managing courses: the course, its lessons and quizzes in order, questions, and the HTML lessons may hold."""

import nh3
from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError
from portal.extensions import db
from portal.training.models import LESSON, QUIZ, Choice, Course, CourseItem, Question

ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "hr", "figure", "figcaption",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}}


def sanitize(html: str | None) -> str:
    """Managers write lessons in HTML; only harmless markup is kept (no scripts, handlers or javascript: links)."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")



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
              max_attempts: int | None = None, attachment: tuple[str, str, str] | None = None,
              title_en: str | None = None, body_en: str | None = None) -> None:
    """Save a lesson or a quiz; the English title and text are optional (English readers see the Russian ones
    when they are empty)."""
    if not (title or "").strip():
        raise DomainError(_l("Give it a title."), field="title")
    item.title = title.strip()
    item.title_en = (title_en or "").strip() or None
    if item.kind == LESSON:
        item.body = sanitize(body)
        item.body_en = sanitize(body_en) if (body_en or "").strip() else None
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


def add_question(item: CourseItem, text: str, choices: list[tuple[str, bool]], multiple: bool,
                 text_en: str | None = None, choices_en: list[str] | None = None) -> Question:
    """A quiz question with its answers; `choices_en` are the answers' optional English texts, place by place."""
    english = list(choices_en or []) + [""] * len(choices)
    choices = [(t.strip(), ok, (english[n] or "").strip() or None)
               for n, (t, ok) in enumerate(choices) if t and t.strip()]
    if not (text or "").strip():
        raise DomainError(_l("Write the question."), field="text")
    if len(choices) < 2:
        raise DomainError(_l("Give at least two answers."), field="choices")
    right = sum(1 for _, ok, _en in choices if ok)
    if right == 0:
        raise DomainError(_l("Tick the right answer."), field="choices")
    if right > 1 and not multiple:
        raise DomainError(_l("Several right answers: make it a multiple-choice question."), field="choices")
    question = Question(item_id=item.id, text=text.strip(), text_en=(text_en or "").strip() or None,
                        multiple=multiple, position=max((q.position for q in item.questions), default=0) + 1)
    question.choices = [Choice(text=t, correct=ok, text_en=en) for t, ok, en in choices]
    db.session.add(question)
    db.session.flush()
    return question
