"""Lessons and quizzes in English: the console's English fields, and English pages showing them (the Russian text
where none was written)."""

import pytest
from sqlalchemy import select

from portal.auth.models import MANAGER
from portal.extensions import db
from portal.training.models import Course, CourseItem, Question


@pytest.mark.parametrize(("locale", "shown", "hidden"), [
    ("en", ["Cooling basics", "<p>The compressor</p>", "Which unit holds the compressor?", "Outdoor"],
     ["Как работает", "Где компрессор?"]),
    ("ru", ["Как работает", "<p>Компрессор</p>", "Где компрессор?", "Наружный"], ["Cooling basics", "Outdoor"]),
])
def test_english_lessons_and_quizzes_written_in_the_console_show_on_english_pages(app, client, login, make,
                                                                                  locale, shown, hidden):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    client.post("/console/training/new", data={"title": "Курс", "description": "<p>О курсе</p>", "audience": "",
                                                "points": "100", "duration_minutes": "20"})
    with app.app_context():
        course_id = db.session.scalar(select(Course.id))
    client.post(f"/console/training/{course_id}/items", data={"kind": "lesson", "title": "Как работает"})
    client.post(f"/console/training/{course_id}/items", data={"kind": "quiz", "title": "Тест"})
    with app.app_context():
        lesson_id, quiz_id = db.session.scalars(select(CourseItem.id).order_by(CourseItem.position)).all()
    client.post(f"/console/training/items/{lesson_id}", data={
        "title": "Как работает", "title_en": "Cooling basics", "body": "<p>Компрессор</p>",
        "body_en": "<p>The compressor</p><script>alert(1)</script>"})
    client.post(f"/console/training/items/{quiz_id}/questions", data={
        "text": "Где компрессор?", "text_en": "Which unit holds the compressor?", "choice_1": "Наружный",
        "choice_en_1": "Outdoor", "correct_1": "y", "choice_2": "Внутренний", "choice_en_2": ""})
    client.post(f"/console/training/{course_id}/edit", data={
        "title": "Курс", "description": "", "audience": "", "points": "100", "duration_minutes": "20",
        "published": "y"})
    with app.app_context():
        lesson = db.session.get(CourseItem, lesson_id)
        assert lesson.title_en == "Cooling basics" and "<script>" not in lesson.body_en
        question = db.session.scalar(select(Question))
        assert [c.text_en for c in question.choices] == ["Outdoor", None]
    make.user(email="reader@example.test", locale=locale)
    login("reader@example.test")
    pages = (client.get(f"/training/{course_id}").get_data(as_text=True)
             + client.get(f"/training/{course_id}/items/{lesson_id}").get_data(as_text=True)
             + client.get(f"/training/{course_id}/items/{quiz_id}").get_data(as_text=True))
    for text in shown:
        assert text in pages, text
    for text in hidden:
        assert text not in pages, text
    assert "Внутренний" in pages  # an answer without English reads in Russian on both
