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


# English versions of the lessons' titles and texts, the quiz's title, questions and answers, by the Russian text.
ENGLISH = {
    "Как работает сплит-система": "How a split system works",
    "Подбор мощности": "Choosing the capacity",
    "Прокладка трасс": "Laying the lines",
    "Вакуумирование и пуск": "Evacuation and start-up",
    "Почему инвертор": "Why an inverter",
    "Итоговый тест": "Final test",
    "Где находится компрессор сплит-системы?": "Where is a split system's compressor?",
    "В наружном блоке": "In the outdoor unit", "Во внутреннем блоке": "In the indoor unit", "В пульте": "In the remote",
    "Какая модель подойдёт для комнаты 30 м²?": "Which model suits a 30 m² room?",
    "Что влияет на подбор мощности?": "What affects the choice of capacity?",
    "Площадь помещения": "The room's area", "Окна на южную сторону": "Windows facing south",
    "Цвет стен": "The colour of the walls",
    "Максимальная длина трассы на один внутренний блок?": "The longest line for one indoor unit?",
    "Сколько минимум вакуумировать систему?": "How long at least to evacuate the system?",
    "5 минут": "5 minutes", "20 минут": "20 minutes", "2 часа": "2 hours", "10 м": "10 m", "20 м": "20 m",
    "50 м": "50 m",
    "Сколько электроэнергии экономит инвертор?": "How much electricity does an inverter save?",
    "До 5%": "Up to 5%", "До 30%": "Up to 30%", "До 80%": "Up to 80%",
    "Какие аргументы верны для инвертора?": "Which arguments hold for an inverter?",
    "Экономия электроэнергии": "Lower electricity use", "Тихая работа": "Quiet operation",
    "Дешевле on/off моделей": "Cheaper than on/off models",
}
BODIES_EN = {
    "Как работает сплит-система": "<h3>The cooling cycle</h3><p>The compressor compresses the refrigerant, the "
    "condenser gives the heat off outdoors, the evaporator takes it from the room.</p><ul><li>Outdoor unit: "
    "compressor and condenser</li><li>Indoor unit: evaporator and fan</li></ul>",
    "Подбор мощности": "<p>A rule of thumb: <strong>1 kW of cooling per 10 m²</strong> with ceilings up to 3 m. "
    "Allow for south-facing windows, appliances and people.</p><table><tr><th>Model</th><th>Area</th></tr>"
    "<tr><td>Nord 07</td><td>up to 20 m²</td></tr><tr><td>Nord 09</td><td>up to 25 m²</td></tr>"
    "<tr><td>Nord 12</td><td>up to 35 m²</td></tr></table>",
    "Прокладка трасс": "<p>The longest line per unit is 20 m, 50 m in all. The height difference is at most "
    "10 m.</p>",
    "Вакуумирование и пуск": "<ol><li>Check the joints for leaks with nitrogen.</li><li>Evacuate for at least 20 "
    "minutes.</li><li>Open the valves and check the pressure.</li></ol>",
    "Почему инвертор": "<p>An inverter system saves <strong>up to 30%</strong> of electricity and runs quieter "
    "thanks to smooth regulation.</p>",
}


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
            db.session.add(CourseItem(course_id=course.id, position=position, kind=LESSON, title=title, body=body,
                                      title_en=ENGLISH.get(title), body_en=BODIES_EN.get(title)))
        quiz = CourseItem(course_id=course.id, position=position + 1, kind=QUIZ, title="Итоговый тест",
                          title_en=ENGLISH["Итоговый тест"], pass_mark=70, max_attempts=3)
        db.session.add(quiz)
        db.session.flush()
        for n, (text, multiple, choices) in enumerate(spec["quiz"], start=1):
            question = Question(item_id=quiz.id, position=n, text=text, multiple=multiple, text_en=ENGLISH.get(text))
            question.choices = [Choice(text=t, correct=ok, text_en=ENGLISH.get(t)) for t, ok in choices]
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
