import pytest
from sqlalchemy import select

from portal.auth.models import MANAGER, PARTNER_ADMIN
from portal.extensions import db
from portal.training.models import Course, CourseItem
from tests.training import factories as f


@pytest.fixture
def courses(app):
    with app.app_context():
        general = f.course(title="Основы климата", points=300)
        installers = f.course(title="Монтаж", audience="specialist", points=500)
        db.session.commit()
        return general.id, installers.id


def test_manager_only_course_is_hidden_from_other_audiences(client, login, make, courses):
    general, installers = courses
    make.user(email="seller@example.test", audience="manager")
    login("seller@example.test")
    page = client.get("/training").get_data(as_text=True)
    assert "Основы климата" in page and "Монтаж" not in page
    assert client.get(f"/training/{installers}").status_code == 404


def test_take_a_quiz_through_the_pages(app, client, login, make, courses):
    general, _ = courses
    make.user(email="seller@example.test")
    login("seller@example.test")
    with app.app_context():
        quiz = db.session.scalar(select(CourseItem).where(CourseItem.course_id == general, CourseItem.kind == "quiz"))
        form = {f"q{qid}": [str(c) for c in cids] for qid, cids in f.right_answers(quiz).items()}
        wrong = {f"q{qid}": [str(c) for c in cids] for qid, cids in f.wrong_answers(quiz).items()}
        quiz_id = quiz.id
    response = client.post(f"/training/{general}/items/{quiz_id}/answer", data=wrong, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "ниже проходного балла 70%" in page
    assert "Правильные ответы" not in page  # attempts remain: answers stay hidden
    response = client.post(f"/training/{general}/items/{quiz_id}/answer", data=form, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "курс пройден" in page and "Сертификат" in page
    assert "Основы климата" in page
    assert "Пройден курс: Основы климата" in client.get("/points").get_data(as_text=True)


def test_manager_builds_a_course_and_cannot_publish_it_without_a_quiz(app, client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    response = client.post("/console/training/new", data={
        "title": "Новый курс", "description": '<p>Описание<script>alert(1)</script></p>', "audience": "",
        "points": "100", "duration_minutes": "20", "published": "y"})
    assert "нужен тест с вопросами" in response.get_data(as_text=True)
    client.post("/console/training/new", data={"title": "Новый курс", "description": "<p>Описание</p>",
                                                "audience": "", "points": "100", "duration_minutes": "20"})
    with app.app_context():
        course = db.session.scalar(select(Course))
        assert course.published is False and "<script>" not in course.description
        course_id = course.id
    client.post(f"/console/training/{course_id}/items", data={"kind": "quiz", "title": "Тест"})
    with app.app_context():
        quiz_id = db.session.scalar(select(CourseItem.id))
    response = client.post(f"/console/training/items/{quiz_id}/questions", data={
        "text": "Вопрос?", "choice_1": "Да", "correct_1": "y", "choice_2": "Нет"}, follow_redirects=True)
    assert "Вопрос добавлен." in response.get_data(as_text=True)
    client.post(f"/console/training/{course_id}/edit", data={
        "title": "Новый курс", "description": "", "audience": "", "points": "100", "duration_minutes": "20",
        "published": "y"})
    with app.app_context():
        assert db.session.get(Course, course_id).published is True


def test_partner_admin_sees_own_company_completions_only(app, client, login, make, courses):
    general, _ = courses
    company = make.company()
    head = make.user(role=PARTNER_ADMIN, company=company, email="head@example.test")
    colleague = make.user(company=company, full_name="Коллега Свой")
    outsider = make.user(full_name="Чужой Человек")
    from portal.auth.models import User
    from portal.training import services

    with app.app_context():
        quiz = db.session.scalar(select(CourseItem).where(CourseItem.course_id == general, CourseItem.kind == "quiz"))
        for person in (colleague, outsider):
            services.submit_quiz(db.session.get(User, person.id), quiz, f.right_answers(quiz))
        db.session.commit()
    login("head@example.test")
    page = client.get("/team/training").get_data(as_text=True)
    assert "Коллега Свой" in page and "Чужой Человек" not in page
    export = client.get("/team/training.csv").get_data(as_text=True)
    assert "Коллега Свой" in export and "Чужой Человек" not in export
    assert head  # the partner admin is the viewer
