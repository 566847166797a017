"""A course failed with no attempts left says so; managers grant extra attempts; lessons can come first."""

import pytest
from sqlalchemy import select

from portal.auth.models import MANAGER, User
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.training import services
from portal.training.models import FAILED, AttemptGrant, Course
from tests.training import factories as f


@pytest.fixture
def failed(app, make):
    """A participant who used both attempts at a quiz and passed neither."""
    person = make.user(email="learner@example.test")
    with app.app_context():
        course = f.course(title="Инверторы", max_attempts=2)
        quiz = f.quiz_of(course)
        user = db.session.get(User, person.id)
        for _ in range(2):
            services.submit_quiz(user, quiz, f.wrong_answers(quiz))
        db.session.commit()
        return person.id, course.id, quiz.id


def test_a_course_failed_with_no_attempts_left_says_so_and_whom_to_ask(app, client, login, failed):
    _user_id, course_id, quiz_id = failed
    login("learner@example.test")
    index = client.get("/training").get_data(as_text=True)
    assert "Не сдан, попыток не осталось" in index and "Не начат" not in index
    course = client.get(f"/training/{course_id}").get_data(as_text=True)
    assert 'data-testid="course-failed"' in course and "support@portal.test" in course
    assert "Перечитать уроки" in course and 'data-testid="continue"' not in course
    quiz = client.get(f"/training/{course_id}/items/{quiz_id}").get_data(as_text=True)
    assert 'data-testid="quiz-exhausted"' in quiz
    assert "курс не пройден" in quiz and "дополнительных попытках" in quiz
    home = client.get("/home").get_data(as_text=True)
    assert "Попыток не осталось" in home


def test_progress_status_is_failed(app, failed):
    user_id, course_id, _ = failed
    with app.app_context():
        progress = services.progress(db.session.get(User, user_id), db.session.get(Course, course_id))
        assert progress.status == FAILED


def test_a_manager_grants_extra_attempts_and_it_is_logged(app, client, login, make, failed):
    user_id, course_id, quiz_id = failed
    manager = make.user(role=MANAGER, email="manager@example.test", full_name="Белов Кирилл")
    login("manager@example.test")
    listing = client.get("/console/training/attempts").get_data(as_text=True)
    assert "Инверторы" in listing and "2 / 2" in listing
    response = client.post("/console/training/attempts", data={"user_id": user_id, "item_id": quiz_id, "extra": 1,
                                                               "reason": "Просьба руководителя"})
    assert response.status_code == 302
    after = client.get("/console/training/attempts").get_data(as_text=True)
    assert "Просьба руководителя" in after and "Белов Кирилл" in after
    assert "2 / 2" not in after  # no longer out of attempts
    with app.app_context():
        grant = db.session.scalar(select(AttemptGrant))
        assert (grant.extra, grant.granted_by_id) == (1, manager.id)
        user = db.session.get(User, user_id)
        quiz = db.session.get(Course, course_id).items[-1]
        result = services.submit_quiz(user, quiz, f.right_answers(quiz))
        assert result.course_passed_now
        with pytest.raises(DomainError):
            services.submit_quiz(user, quiz, f.right_answers(quiz))


@pytest.mark.parametrize("data", [
    {"extra": 0, "reason": "x"}, {"extra": 11, "reason": "x"}, {"extra": 1, "reason": ""},
    {"extra": "1e309", "reason": "x"}, {"extra": 1, "reason": "x", "user_id": "9" * 40},
])
def test_a_grant_needs_a_reason_and_a_sensible_number(app, client, login, make, failed, data):
    user_id, _course_id, quiz_id = failed
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    response = client.post("/console/training/attempts",
                           data={"user_id": user_id, "item_id": quiz_id, **data}, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(AttemptGrant)) is None


def test_participants_cannot_grant_attempts(app, client, login, failed):
    user_id, _course_id, quiz_id = failed
    login("learner@example.test")
    response = client.post("/console/training/attempts",
                           data={"user_id": user_id, "item_id": quiz_id, "extra": 3, "reason": "я сам"})
    assert response.status_code == 403
    with app.app_context():
        learner = db.session.get(User, user_id)
        with pytest.raises(NotAllowed):
            services.grant_attempts(learner, learner, db.session.get(services.CourseItem, quiz_id), 3, "я сам")


def test_a_course_can_ask_for_its_lessons_before_the_quiz(app, client, login, make):
    person = make.user(email="learner@example.test")
    with app.app_context():
        course = f.course(title="Монтаж")
        course.lessons_first = True
        db.session.commit()
        course_id, lesson_id, quiz_id = course.id, course.items[0].id, course.items[-1].id
    login("learner@example.test")
    page = client.get(f"/training/{course_id}/items/{quiz_id}").get_data(as_text=True)
    assert 'data-testid="quiz-locked"' in page and 'data-testid="quiz-submit"' not in page
    assert "Сначала уроки" in client.get(f"/training/{course_id}").get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, person.id)
        quiz = db.session.get(services.CourseItem, quiz_id)
        with pytest.raises(DomainError):
            services.submit_quiz(user, quiz, f.right_answers(quiz))
        db.session.rollback()
    client.post(f"/training/{course_id}/items/{lesson_id}/done")
    opened = client.get(f"/training/{course_id}/items/{quiz_id}").get_data(as_text=True)
    assert 'data-testid="quiz-submit"' in opened and 'data-testid="quiz-locked"' not in opened


def test_without_the_setting_the_quiz_opens_at_once(app, client, login, make):
    make.user(email="learner@example.test")
    with app.app_context():
        course = f.course(title="Монтаж")
        db.session.commit()
        course_id, quiz_id = course.id, course.items[-1].id
    login("learner@example.test")
    assert 'data-testid="quiz-submit"' in client.get(f"/training/{course_id}/items/{quiz_id}").get_data(as_text=True)


def test_course_form_offers_the_setting_and_english_title(app, client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    make.user(email="reader@example.test", locale="en")
    login("manager@example.test")
    page = client.get("/console/training/new").get_data(as_text=True)
    assert "Сначала уроки, потом тест" in page and "Название на английском" in page
    response = client.post("/console/training/new", data={
        "title": "Основы монтажа", "title_en": "Installation basics", "description": "<p>Курс</p>",
        "description_en": "<p>A course</p>", "audience": "", "points": 100, "duration_minutes": 20,
        "lessons_first": "y"})
    assert response.status_code == 302
    with app.app_context():
        course = db.session.scalar(select(Course))
        assert (course.title_en, course.lessons_first) == ("Installation basics", True)
        course.published = True
        db.session.commit()
        course_id = course.id
    login("reader@example.test")
    page = client.get(f"/training/{course_id}").get_data(as_text=True)
    assert "Installation basics" in page and "A course" in page and "Основы монтажа" not in page


def test_the_certificate_fits_everyone(app, client, login, make):
    person = make.user(email="learner@example.test")
    with app.app_context():
        course = f.course(title="Основы")
        quiz = f.quiz_of(course)
        services.submit_quiz(db.session.get(User, person.id), quiz, f.right_answers(quiz))
        db.session.commit()
        course_id = course.id
    login("learner@example.test")
    page = client.get(f"/training/{course_id}/certificate").get_data(as_text=True)
    assert "прошёл(ла)" not in page and "(ла)" not in page
    assert "успешно пройден участником программы" in page


def test_home_offers_an_open_course_before_a_failed_one(app, client, login, failed):
    with app.app_context():
        f.course(title="Продажи")
        db.session.commit()
    login("learner@example.test")
    training_card = client.get("/home").get_data(as_text=True).split('data-testid="home-training"')[1]
    assert "Продажи" in training_card and "Инверторы" not in training_card
