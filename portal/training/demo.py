"""Three real-looking courses about the demo products, with completions spread over past months."""

from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import PARTNER_ROLES, User
from portal.core.time import frozen_time, utcnow
from portal.extensions import db
from portal.training import services
from portal.training.models import LESSON, QUIZ, Choice, Course, CourseItem, LessonView, Question

COURSES = [
    {
        "title": "Основы климатической техники Nord",
        "audience": None, "points": 300, "minutes": 25,
        "description": "<p>Как устроена сплит-система, чем инвертор отличается от on/off и как подобрать мощность "
                       "под помещение.</p>",
        "lessons": [
            ("Как работает сплит-система", "<h3>Цикл охлаждения</h3><p>Компрессор сжимает хладагент, "
             "конденсатор отдаёт тепло на улицу, испаритель забирает его из комнаты.</p><ul><li>Наружный блок: "
             "компрессор и конденсатор</li><li>Внутренний блок: испаритель и вентилятор</li></ul>"),
            ("Подбор мощности", "<p>Ориентир: <strong>1 кВт холода на 10 м²</strong> при высоте потолка до 3 м. "
             "Учитывайте окна на юг, технику и людей.</p><table><tr><th>Модель</th><th>Площадь</th></tr>"
             "<tr><td>Nord 07</td><td>до 20 м²</td></tr><tr><td>Nord 09</td><td>до 25 м²</td></tr>"
             "<tr><td>Nord 12</td><td>до 35 м²</td></tr></table>"),
        ],
        "quiz": [
            ("Где находится компрессор сплит-системы?", False,
             [("В наружном блоке", True), ("Во внутреннем блоке", False), ("В пульте", False)]),
            ("Какая модель подойдёт для комнаты 30 м²?", False,
             [("Nord 07", False), ("Nord 09", False), ("Nord 12", True)]),
            ("Что влияет на подбор мощности?", True,
             [("Площадь помещения", True), ("Окна на южную сторону", True), ("Цвет стен", False)]),
        ],
    },
    {
        "title": "Монтаж мульти-сплит систем",
        "audience": "specialist", "points": 500, "minutes": 40,
        "description": "<p>Для монтажников и сервисных инженеров: трассы, вакуумирование, пусконаладка.</p>",
        "lessons": [
            ("Прокладка трасс", "<p>Максимальная длина трассы на один блок — 20 м, суммарная — 50 м. "
             "Перепад высот — не более 10 м.</p>"),
            ("Вакуумирование и пуск", "<ol><li>Проверьте соединения на герметичность азотом.</li>"
             "<li>Вакуумируйте не менее 20 минут.</li><li>Откройте вентили и проверьте давление.</li></ol>"),
        ],
        "quiz": [
            ("Максимальная длина трассы на один внутренний блок?", False,
             [("10 м", False), ("20 м", True), ("50 м", False)]),
            ("Сколько минимум вакуумировать систему?", False,
             [("5 минут", False), ("20 минут", True), ("2 часа", False)]),
        ],
    },
    {
        "title": "Продажи инверторных систем",
        "audience": "manager", "points": 400, "minutes": 30,
        "description": "<p>Аргументы для клиента: экономия электроэнергии, тишина, срок службы.</p>",
        "lessons": [
            ("Почему инвертор", "<p>Инверторная система экономит <strong>до 30%</strong> электроэнергии и "
             "работает тише за счёт плавного регулирования.</p>"),
        ],
        "quiz": [
            ("Сколько электроэнергии экономит инвертор?", False,
             [("До 5%", False), ("До 30%", True), ("До 80%", False)]),
            ("Какие аргументы верны для инвертора?", True,
             [("Экономия электроэнергии", True), ("Тихая работа", True), ("Дешевле on/off моделей", False)]),
        ],
    },
]


def load(rng) -> None:
    courses = []
    for spec in COURSES:
        course = Course(title=spec["title"], description=spec["description"], audience=spec["audience"],
                        points=spec["points"], duration_minutes=spec["minutes"], published=True)
        db.session.add(course)
        db.session.flush()
        position = 0
        for title, body in spec["lessons"]:
            position += 1
            db.session.add(CourseItem(course_id=course.id, position=position, kind=LESSON, title=title, body=body))
        quiz = CourseItem(course_id=course.id, position=position + 1, kind=QUIZ, title="Итоговый тест",
                          pass_mark=70, max_attempts=3)
        db.session.add(quiz)
        db.session.flush()
        for n, (text, multiple, choices) in enumerate(spec["quiz"], start=1):
            question = Question(item_id=quiz.id, position=n, text=text, multiple=multiple)
            question.choices = [Choice(text=t, correct=ok) for t, ok in choices]
            db.session.add(question)
        db.session.flush()
        db.session.refresh(course)
        courses.append(course)

    now = utcnow()
    people = db.session.scalars(
        select(User).where(User.role.in_(PARTNER_ROLES), User.email.like("user%")).order_by(User.id)
    ).all()
    for person in people:
        for course in courses:
            if not services.can_open(person, course) or rng.random() > 0.35:
                continue
            moment = now - timedelta(days=rng.randint(3, 240), hours=rng.randint(0, 8))
            with frozen_time(moment):
                for item in course.items:
                    if item.kind == LESSON:
                        db.session.add(LessonView(user_id=person.id, item_id=item.id))
                quiz = course.items[-1]
                right = {q.id: {c.id for c in q.choices if c.correct} for q in quiz.questions}
                if rng.random() < 0.3:  # some fail first
                    services.submit_quiz(person, quiz, {qid: set() for qid in right})
                if rng.random() < 0.85:
                    services.submit_quiz(person, quiz, right)
    # The demo specialist has started the installation course; the seller has passed the basics and the sales course.
    installer = db.session.scalar(select(User).where(User.email == "installer@demo.test"))
    seller = db.session.scalar(select(User).where(User.email == "seller@demo.test"))
    if installer is not None:
        db.session.add(LessonView(user_id=installer.id, item_id=courses[1].items[0].id))
    if seller is not None:
        # Passed through the service, which pays each course once (the ledger's demo credits no course itself).
        for course, days_ago in ((courses[0], 45), (courses[2], 25)):
            quiz = course.items[-1]
            with frozen_time(now - timedelta(days=days_ago)):
                services.submit_quiz(seller, quiz, {q.id: {c.id for c in q.choices if c.correct}
                                                    for q in quiz.questions})
    db.session.flush()
