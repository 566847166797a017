"""Training: courses of lessons and quizzes, attempts, and who passed what when."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.localized import in_locale
from portal.core.time import utcnow
from portal.extensions import db

LESSON = "lesson"
QUIZ = "quiz"
ITEM_KINDS = (LESSON, QUIZ)
ITEM_KIND_LABELS = {LESSON: _l("Lesson"), QUIZ: _l("Quiz")}

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
PASSED = "passed"
FAILED = "failed"  # every attempt at a quiz used, none passed
PROGRESS_LABELS = {NOT_STARTED: _l("Not started"), IN_PROGRESS: _l("In progress"), PASSED: _l("Passed"),
                   FAILED: _l("Failed, no attempts left")}


class Course(db.Model):
    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint("points >= 0", name="points_not_negative"),
        CheckConstraint("audience IS NULL OR audience IN ('manager', 'specialist')", name="audience_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    title_en: Mapped[str | None] = mapped_column(String(200))  # optional English versions
    description_en: Mapped[str | None] = mapped_column(Text)
    # The quiz opens only once every lesson before it has been read.
    lessons_first: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    audience: Mapped[str | None] = mapped_column(String(16))  # NULL: everyone
    points: Mapped[int] = mapped_column(default=0)
    duration_minutes: Mapped[int] = mapped_column(default=30)
    published: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items = relationship("CourseItem", back_populates="course", order_by="CourseItem.position",
                         cascade="all, delete-orphan")

    @property
    def display_title(self) -> str:
        return in_locale(self.title, self.title_en)

    @property
    def display_description(self) -> str:
        return in_locale(self.description, self.description_en)


class CourseItem(db.Model):
    """A lesson or a quiz, in its place in the course."""

    __tablename__ = "course_items"
    __table_args__ = (
        CheckConstraint(f"kind IN {ITEM_KINDS}", name="kind_known"),
        CheckConstraint("pass_mark BETWEEN 1 AND 100", name="pass_mark_percent"),
        CheckConstraint("max_attempts IS NULL OR max_attempts > 0", name="attempts_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML, for lessons
    title_en: Mapped[str | None] = mapped_column(String(200))  # optional English versions
    body_en: Mapped[str | None] = mapped_column(Text)  # sanitised HTML
    attachment_path: Mapped[str | None] = mapped_column(String(255))
    attachment_name: Mapped[str | None] = mapped_column(String(255))
    attachment_mimetype: Mapped[str | None] = mapped_column(String(64))
    pass_mark: Mapped[int] = mapped_column(default=70)  # percent, for quizzes
    max_attempts: Mapped[int | None] = mapped_column(default=3)  # NULL: unlimited

    course = relationship(Course, back_populates="items")
    questions = relationship("Question", back_populates="item", order_by="Question.position",
                             cascade="all, delete-orphan")

    @property
    def is_quiz(self) -> bool:
        return self.kind == QUIZ

    @property
    def display_title(self) -> str:
        return in_locale(self.title, self.title_en)

    @property
    def display_body(self) -> str:
        return in_locale(self.body, self.body_en)


class Question(db.Model):
    __tablename__ = "quiz_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("course_items.id"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(String(500))
    text_en: Mapped[str | None] = mapped_column(String(500))  # optional English version
    multiple: Mapped[bool] = mapped_column(default=False)  # several right answers: tick them all

    item = relationship(CourseItem, back_populates="questions")
    choices = relationship("Choice", back_populates="question", order_by="Choice.id", cascade="all, delete-orphan")

    @property
    def display_text(self) -> str:
        return in_locale(self.text, self.text_en)


class Choice(db.Model):
    __tablename__ = "quiz_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    text_en: Mapped[str | None] = mapped_column(String(300))  # optional English version
    correct: Mapped[bool] = mapped_column(default=False)

    question = relationship(Question, back_populates="choices")

    @property
    def display_text(self) -> str:
        return in_locale(self.text, self.text_en)


class LessonView(db.Model):
    """A participant finished reading a lesson."""

    __tablename__ = "lesson_views"
    __table_args__ = (UniqueConstraint("user_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("course_items.id"), index=True)
    viewed_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizAttempt(db.Model):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        # Two submissions at once cannot both be attempt number 2.
        UniqueConstraint("user_id", "item_id", "number"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("course_items.id"), index=True)
    number: Mapped[int]
    score: Mapped[int]
    passed: Mapped[bool]
    answers: Mapped[dict] = mapped_column(JSON, default=dict)  # question id -> chosen choice ids
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourseCompletion(db.Model):
    """The first pass of a course: one per person and course, enforced by the database."""

    __tablename__ = "course_completions"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("partner_companies.id"), index=True)
    passed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    attempts: Mapped[int]  # quiz attempts it took, over the whole course
    points: Mapped[int]

    user = relationship("User")
    course = relationship(Course)
    company = relationship("PartnerCompany")


class AttemptGrant(db.Model):
    """Extra quiz attempts a manager gave a participant who used them all: logged with who and why."""

    __tablename__ = "quiz_attempt_grants"
    __table_args__ = (CheckConstraint("extra BETWEEN 1 AND 10", name="extra_in_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("course_items.id"), index=True)
    extra: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500))
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", foreign_keys=[user_id])
    granted_by = relationship("User", foreign_keys=[granted_by_id])
    item = relationship(CourseItem)
