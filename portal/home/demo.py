"""Demo: English names for the demo's prizes, categories, courses, rules and regions, so the English pages read
English; one course asks for its lessons before the quiz."""

from sqlalchemy import select, update

from portal.auth.models import PARTICIPANT, User
from portal.extensions import db
from portal.partners.models import PartnerCompany
from portal.rules.models import EarningRule
from portal.shop.models import Prize, PrizeCategory
from portal.training import services as training
from portal.training.models import QUIZ, Course, QuizAttempt

CATEGORIES = {"Электроника": "Electronics", "Инструменты": "Tools", "Для дома": "For the home",
              "Подарочные сертификаты": "Gift cards", "Впечатления": "Experiences"}
PRIZES = {
    "Беспроводные наушники": "Wireless headphones", "Умная колонка": "Smart speaker",
    "Фитнес-браслет": "Fitness band", "Внешний аккумулятор 20000 мА·ч": "Power bank 20,000 mAh",
    "Электронная книга": "E-reader", "Экшн-камера": "Action camera",
    "Аккумуляторная дрель-шуруповёрт": "Cordless drill",
    "Набор манометров для хладагента": "Refrigerant gauge set", "Вакуумный насос": "Vacuum pump",
    "Набор отвёрток": "Screwdriver set", "Лазерный дальномер": "Laser distance meter",
    "Термометр-пирометр": "Infrared thermometer", "Кофемашина капсульная": "Capsule coffee machine",
    "Плед с логотипом": "Branded blanket", "Термокружка": "Travel mug", "Набор ножей": "Knife set",
    "Увлажнитель воздуха": "Air humidifier", "Настольная лампа": "Desk lamp",
    "Билеты в кино на двоих": "Cinema tickets for two", "Ужин в ресторане на двоих": "Dinner for two",
    "Мастер-класс на заводе Nord": "Master class at the Nord factory",
    "Поездка на выставку «Мир Климата»": "Trip to the Climate World exhibition", "Планшет 10\"": "Tablet 10\"",
    "Сертификат в книжный магазин, 1 000 ₽": "Bookshop gift card, 1,000 RUB",
    "Сертификат в книжный магазин, 3 000 ₽": "Bookshop gift card, 3,000 RUB",
    "Сертификат на такси, 2 000 ₽": "Taxi gift card, 2,000 RUB",
    "Сертификат в спортивный магазин, 5 000 ₽": "Sports shop gift card, 5,000 RUB",
    "Сертификат на маркетплейс, 10 000 ₽": "Marketplace gift card, 10,000 RUB",
}
COURSES = {"Основы климатической техники Nord": "Nord climate equipment basics",
           "Монтаж мульти-сплит систем": "Installing multi-split systems",
           "Продажи инверторных систем": "Selling inverter systems"}
COURSE_DESCRIPTIONS = {
    "Основы климатической техники Nord": "<p>How a split system works, how an inverter differs from on/off, and how "
                                         "to size the unit for a room.</p>",
    "Монтаж мульти-сплит систем": "<p>For installers and service engineers: piping, evacuation, commissioning.</p>",
    "Продажи инверторных систем": "<p>Arguments for the customer: energy savings, quiet operation, service life.</p>",
}
RULES = {"Баллы за сплит-системы": "Points for split systems",
         "5% от маржи на всё оборудование": "5% of the margin on all equipment",
         "VRF: 2% от выручки": "VRF: 2% of revenue",
         "Двойные баллы на мульти-сплит": "Double points on multi-split systems",
         "Бонус за каждую одобренную заявку": "A bonus for every approved sale"}
PRIZE_DESCRIPTION = "A prize of the Partner Club programme. Delivered anywhere in Russia at the programme's expense."
REGIONS = {"Москва": "Moscow", "Санкт-Петербург": "Saint Petersburg", "Московская область": "Moscow Region",
           "Свердловская область": "Sverdlovsk Region", "Новосибирская область": "Novosibirsk Region",
           "Республика Татарстан": "Republic of Tatarstan", "Краснодарский край": "Krasnodar Krai",
           "Нижегородская область": "Nizhny Novgorod Region", "Самарская область": "Samara Region",
           "Ростовская область": "Rostov Region"}


def load(rng) -> None:
    for model, column, names in ((PrizeCategory, "name", CATEGORIES), (Prize, "name", PRIZES)):
        for russian, english in names.items():
            db.session.execute(update(model).where(getattr(model, column) == russian).values(name_en=english))
    for russian, english in COURSES.items():
        db.session.execute(update(Course).where(Course.title == russian).values(
            title_en=english, description_en=COURSE_DESCRIPTIONS.get(russian)))
    for russian, english in RULES.items():
        db.session.execute(update(EarningRule).where(EarningRule.name == russian).values(name_en=english))
    db.session.execute(update(Prize).where(Prize.description_en.is_(None)).values(description_en=PRIZE_DESCRIPTION))
    for russian, english in REGIONS.items():
        db.session.execute(update(PartnerCompany).where(PartnerCompany.region == russian).values(region_en=english))
    installing = db.session.scalar(select(Course).where(Course.title == "Монтаж мульти-сплит систем"))
    if installing is not None:
        installing.lessons_first = True
    db.session.flush()
    _one_failed_learner(rng)


def _one_failed_learner(rng) -> None:
    """Someone who used every attempt at a quiz, so the managers' «Attempts used up» page has a case."""
    for course in db.session.scalars(select(Course).where(Course.lessons_first.is_(False)).order_by(Course.id)):
        quiz = next((i for i in course.items if i.kind == QUIZ and i.max_attempts and i.questions), None)
        if quiz is None:
            continue
        tried = select(QuizAttempt.user_id).where(QuizAttempt.item_id == quiz.id)
        # One of the generated people, never a demo login (seller@, installer@...), whose courses stay open.
        query = (select(User).where(User.role == PARTICIPANT, User.id.not_in(tried), User.email.like("user%"))
                 .order_by(User.id))
        if course.audience:
            query = query.where(User.audience == course.audience)
        learner = db.session.scalar(query.limit(1))
        if learner is None:
            continue
        wrong = {q.id: {c.id for c in q.choices if not c.correct} for q in quiz.questions}
        for _ in range(quiz.max_attempts):
            training.submit_quiz(learner, quiz, wrong)
        return
