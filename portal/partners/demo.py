"""Demo partner companies and their staff, with the well-known demo logins."""

from datetime import date, timedelta

from portal.auth.models import (
    ADMIN,
    AUDIENCE_MANAGER,
    AUDIENCE_SPECIALIST,
    CONSENT_PERSONAL_DATA,
    CONSENT_RULES,
    MANAGER,
    PARTICIPANT,
    PARTNER_ADMIN,
    Consent,
    User,
)
from portal.auth.passwords import hash_password
from portal.core.inn import make_inn
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import APPROVED, PENDING, AudienceSpan, CompanyMembership, PartnerCompany

REGIONS = [
    "Москва", "Санкт-Петербург", "Московская область", "Свердловская область", "Новосибирская область",
    "Республика Татарстан", "Краснодарский край", "Нижегородская область", "Самарская область",
    "Ростовская область",
]
NAME_STEMS = [
    "Климат", "ТеплоСервис", "ИнжСтрой", "ЭнергоМонтаж", "АкваТерм", "ВентПрофи", "СтройКомплект", "ТехноДом",
    "Северный Ветер", "Горизонт", "Альфа Инжиниринг", "Вектор", "ПрофМонтаж", "Термодом", "Электросфера",
    "Уральские системы", "Сибирь Климат", "Волга Сервис", "Кубань Техно", "Невский монтаж",
]
FORMS = ["ООО", "АО", "ООО ТД", "ООО ГК"]
MALE_FIRST = ["Александр", "Дмитрий", "Сергей", "Андрей", "Алексей", "Иван", "Михаил", "Николай", "Павел", "Егор"]
FEMALE_FIRST = ["Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Екатерина", "Светлана", "Юлия"]
LAST = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
        "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов"]
MALE_MIDDLE = ["Александрович", "Сергеевич", "Игоревич", "Андреевич", "Викторович", "Олегович"]
FEMALE_MIDDLE = ["Александровна", "Сергеевна", "Игоревна", "Андреевна", "Викторовна", "Олеговна"]
MANAGER_TITLES = ["Менеджер по продажам", "Руководитель отдела продаж", "Закупщик", "Коммерческий директор"]
SPECIALIST_TITLES = ["Инженер-проектировщик", "Монтажник", "Сервисный инженер", "Системный администратор"]


def _person_name(rng) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(LAST)} {rng.choice(MALE_FIRST)} {rng.choice(MALE_MIDDLE)}"
    return f"{rng.choice(LAST)}а {rng.choice(FEMALE_FIRST)} {rng.choice(FEMALE_MIDDLE)}"


def _phone(rng) -> str:
    return f"+79{rng.randint(10, 99)}{rng.randint(1000000, 9999999)}"


def load(rng) -> None:
    now = utcnow()
    password = hash_password("demo12345")  # one hash for every demo account: hashing hundreds is slow
    companies = []
    for index in range(36):
        stem = NAME_STEMS[index % len(NAME_STEMS)]
        suffix = "" if index < len(NAME_STEMS) else f" {REGIONS[index % len(REGIONS)].split()[0]}"
        company = PartnerCompany(
            inn=make_inn(f"77{index:02d}{rng.randint(10000, 99999)}"),
            name=f"{rng.choice(FORMS)} «{stem}{suffix}»",
            region=REGIONS[index % len(REGIONS)],
            status=PENDING if index >= 33 else APPROVED,
            created_at=now - timedelta(days=rng.randint(30, 330)),
        )
        if company.status == APPROVED:
            company.reviewed_at = company.created_at + timedelta(days=1)
        companies.append(company)
    db.session.add_all(companies)
    db.session.flush()
    approved = [c for c in companies if c.status == APPROVED]

    def person(email, full_name, role, company=None, audience=None, title=None, registered=None):
        created = registered or now - timedelta(days=rng.randint(1, 520))
        user = User(
            email=email, password_hash=password, full_name=full_name, role=role, locale="ru",
            email_confirmed_at=created, created_at=created, audience=audience, job_title=title,
            phone=_phone(rng) if company else None,
            birthday=date(rng.randint(1965, 2000), rng.randint(1, 12), rng.randint(1, 28)) if company else None,
            company_id=company.id if company else None,
        )
        db.session.add(user)
        db.session.flush()
        if company is not None:
            db.session.add(CompanyMembership(user_id=user.id, company_id=company.id, started_at=created))
            if audience:
                db.session.add(AudienceSpan(user_id=user.id, audience=audience, started_at=created))
            for document in (CONSENT_RULES, CONSENT_PERSONAL_DATA):
                db.session.add(Consent(user_id=user.id, document=document, version="2026-01", accepted_at=created))
        return user

    person("admin@demo.test", "Орлова Вера Николаевна", ADMIN, title="Руководитель программы")
    person("manager@demo.test", "Белов Кирилл Андреевич", MANAGER, title="Менеджер по работе с каналом")
    home = approved[0]
    long_ago = now - timedelta(days=430)  # the demo logins have more than a year of history
    person("head@demo.test", "Громов Артём Сергеевич", PARTNER_ADMIN, home, AUDIENCE_MANAGER, "Генеральный директор",
           registered=long_ago)
    person("seller@demo.test", "Соколова Анна Игоревна", PARTICIPANT, home, AUDIENCE_MANAGER, "Менеджер по продажам",
           registered=long_ago)
    person("installer@demo.test", "Котов Иван Петрович", PARTICIPANT, home, AUDIENCE_SPECIALIST, "Монтажник",
           registered=long_ago)

    for index in range(320):
        company = approved[index % len(approved)] if index < 300 else companies[33 + index % 3]
        audience = AUDIENCE_MANAGER if rng.random() < 0.55 else AUDIENCE_SPECIALIST
        titles = MANAGER_TITLES if audience == AUDIENCE_MANAGER else SPECIALIST_TITLES
        role = PARTNER_ADMIN if index < len(approved) else PARTICIPANT
        person(f"user{index:03d}@demo.test", _person_name(rng), role, company, audience, rng.choice(titles))
