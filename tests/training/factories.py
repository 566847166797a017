from portal.extensions import db
from portal.training.models import LESSON, QUIZ, Choice, Course, CourseItem, Question


def course(title="Основы", audience=None, points=300, max_attempts=3, pass_mark=70, published=True):
    item = Course(title=title, audience=audience, points=points, published=published, description="<p>Курс</p>")
    db.session.add(item)
    db.session.flush()
    db.session.add(CourseItem(course_id=item.id, position=1, kind=LESSON, title="Урок 1", body="<p>Текст</p>"))
    quiz = CourseItem(course_id=item.id, position=2, kind=QUIZ, title="Тест", pass_mark=pass_mark,
                      max_attempts=max_attempts)
    db.session.add(quiz)
    db.session.flush()
    for n, (text, multiple, choices) in enumerate([
        ("Где компрессор?", False, [("Снаружи", True), ("Внутри", False)]),
        ("Что важно?", True, [("Площадь", True), ("Окна", True), ("Цвет стен", False)]),
        ("Сколько вакуумировать?", False, [("20 минут", True), ("5 минут", False)]),
    ], start=1):
        question = Question(item_id=quiz.id, position=n, text=text, multiple=multiple)
        question.choices = [Choice(text=t, correct=ok) for t, ok in choices]
        db.session.add(question)
    db.session.flush()
    db.session.refresh(item)
    return item


def quiz_of(course):
    return course.items[-1]


def right_answers(quiz):
    return {q.id: {c.id for c in q.choices if c.correct} for q in quiz.questions}


def wrong_answers(quiz):
    return {q.id: {c.id for c in q.choices if not c.correct} for q in quiz.questions}
