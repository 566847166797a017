import threading

import pytest
from sqlalchemy import func, select

from portal.auth.models import User
from portal.core.errors import DomainError
from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.models import LedgerTransaction
from portal.training import services
from portal.training.models import FAILED, IN_PROGRESS, NOT_STARTED, PASSED, CourseCompletion, QuizAttempt
from tests.training import factories as f


@pytest.fixture
def specialist(make):
    return make.user(audience="specialist")


def answers_for(quiz, pattern):
    """pattern: per question, 'right', 'wrong', 'partial' (one right choice of several) or 'none'."""
    result = {}
    for question, how in zip(quiz.questions, pattern, strict=True):
        right = [c.id for c in question.choices if c.correct]
        wrong = [c.id for c in question.choices if not c.correct]
        result[question.id] = {"right": set(right), "wrong": set(wrong[:1]), "partial": set(right[:1]),
                               "none": set(), "extra": set(right) | set(wrong[:1])}[how]
    return result


@pytest.mark.parametrize(
    ("pattern", "percent"),
    [
        (("right", "right", "right"), 100),
        (("right", "partial", "right"), 67),  # a partial multiple-choice answer counts as wrong
        (("right", "extra", "right"), 67),  # so does ticking a wrong one besides the right ones
        (("wrong", "right", "none"), 33),
        (("none", "none", "none"), 0),
    ],
)
def test_scoring(db, pattern, percent):
    quiz = f.quiz_of(f.course())
    assert services.score(quiz, answers_for(quiz, pattern)) == percent


def test_points_on_the_first_pass_only(db, specialist):
    course = f.course(points=300)
    quiz = f.quiz_of(course)
    result = services.submit_quiz(specialist, quiz, f.wrong_answers(quiz))
    assert not result.attempt.passed and result.points == 0
    result = services.submit_quiz(specialist, quiz, f.right_answers(quiz))
    assert result.course_passed_now and result.points == 300
    with pytest.raises(DomainError):
        services.submit_quiz(specialist, quiz, f.right_answers(quiz))
    assert ledger.balance_of(specialist.id) == 300
    assert services.progress(specialist, course).status == PASSED
    completion = db.session.scalar(select(CourseCompletion))
    assert completion.attempts == 2


def test_attempts_limit_and_answers_shown_after_the_last(db, specialist):
    quiz = f.quiz_of(f.course(max_attempts=2))
    for _ in range(2):
        services.submit_quiz(specialist, quiz, f.wrong_answers(quiz))
    assert services.show_answers(quiz, services.attempts_of(specialist, quiz))
    with pytest.raises(DomainError, match="(?i)попыт|attempts"):
        services.submit_quiz(specialist, quiz, f.right_answers(quiz))
    assert ledger.balance_of(specialist.id) == 0


def test_answers_hidden_while_attempts_remain(db, specialist):
    quiz = f.quiz_of(f.course(max_attempts=3))
    services.submit_quiz(specialist, quiz, f.wrong_answers(quiz))
    assert not services.show_answers(quiz, services.attempts_of(specialist, quiz))


@pytest.mark.parametrize(
    ("course_audience", "person_audience", "visible"),
    [(None, "manager", True), ("specialist", "specialist", True), ("specialist", "manager", False)],
)
def test_audience_visibility(db, make, course_audience, person_audience, visible):
    course = f.course(audience=course_audience)
    f.course(title="Черновик", published=False)
    person = make.user(audience=person_audience)
    assert (course in services.visible_courses(person)) is visible
    assert services.can_open(person, course) is visible


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ('<p onclick="steal()">Текст</p>', "<p>Текст</p>"),
        ("<script>alert(1)</script><b>ок</b>", "<b>ок</b>"),
        ('<a href="javascript:alert(1)">ссылка</a>', '<a rel="noopener noreferrer">ссылка</a>'),
        ('<img src="x.png" onerror="steal()">', '<img src="x.png">'),
        ('<iframe src="https://evil.example"></iframe>', ""),
        ('<a href="https://vendor.example/doc.pdf">PDF</a>',
         '<a href="https://vendor.example/doc.pdf" rel="noopener noreferrer">PDF</a>'),
    ],
)
def test_dangerous_markup_is_removed_on_save(db, dirty, clean):
    assert services.sanitize(dirty) == clean


def test_parallel_passing_submissions_credit_once(app, make):
    person = make.user(audience="specialist")
    with app.app_context():
        course = f.course(points=500, max_attempts=None)
        quiz_id = f.quiz_of(course).id
        db.session.commit()
    barrier = threading.Barrier(10)
    outcomes = []

    def take():
        with app.app_context():
            from portal.training.models import CourseItem

            try:
                barrier.wait(timeout=10)
                quiz = db.session.get(CourseItem, quiz_id)
                services.submit_quiz(db.session.get(User, person.id), quiz, f.right_answers(quiz))
                db.session.commit()
                outcomes.append("passed")
            except DomainError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["passed"] + ["refused"] * 9
    with app.app_context():
        assert ledger.balance_of(person.id) == 500
        assert db.session.scalar(select(func.count(CourseCompletion.id))) == 1
        assert db.session.scalar(select(func.count(QuizAttempt.id))) == 1
        assert db.session.scalar(select(func.count(LedgerTransaction.id))) == 1


def test_progress_of_several_courses_at_once_matches_each_alone(db, specialist):
    passed, failed, started, untouched = (f.course(title=t, max_attempts=1) for t in ("А", "Б", "В", "Г"))
    services.submit_quiz(specialist, f.quiz_of(passed), f.right_answers(passed.items[-1]))
    services.submit_quiz(specialist, f.quiz_of(failed), f.wrong_answers(failed.items[-1]))
    services.mark_viewed(specialist, started.items[0])
    db.session.flush()
    courses = [passed, failed, started, untouched]
    together = services.progress_of(specialist, courses)
    assert [together[c.id].status for c in courses] == [PASSED, FAILED, IN_PROGRESS, NOT_STARTED]
    for course in courses:
        alone = services.progress(specialist, course)
        assert (together[course.id].done_item_ids, together[course.id].exhausted_quiz_ids, together[course.id].total) \
            == (alone.done_item_ids, alone.exhausted_quiz_ids, alone.total)
    assert together[started.id].done_item_ids == {started.items[0].id}  # no other course's items leak in
