"""The manager console on a program of realistic size: 400 companies, 20,000 participants."""

import random
import time

from sqlalchemy import insert

from bench.harness import bench_app, timed
from portal.auth.models import MANAGER, User
from portal.auth.passwords import hash_password
from portal.core.inn import make_inn
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import APPROVED, PENDING, CompanyMembership, PartnerCompany

COMPANIES = 400
PEOPLE = 20_000
FIRST = ["Александр", "Дмитрий", "Сергей", "Анна", "Мария", "Елена", "Ольга", "Иван", "Павел", "Юлия"]
LAST = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков"]


def build(rng: random.Random) -> None:
    now = utcnow()
    db.session.execute(insert(PartnerCompany), [
        {"inn": make_inn(f"6{i:08d}"), "name": f"ООО «Партнёр {i}»", "region": f"Регион {i % 40}",
         "status": PENDING if i % 25 == 0 else APPROVED, "created_at": now}
        for i in range(COMPANIES)
    ])
    password = hash_password("bench12345")
    db.session.execute(insert(User), [
        {"email": f"p{i}@bench.test", "password_hash": password, "session_token": f"{i:032d}",
         "full_name": f"{rng.choice(LAST)} {rng.choice(FIRST)} {i}", "phone": f"+7999{i:07d}",
         "role": "participant", "locale": "ru", "active": True, "audience": rng.choice(["manager", "specialist"]),
         "company_id": 1 + i % COMPANIES, "created_at": now, "email_confirmed_at": now}
        for i in range(PEOPLE)
    ])
    db.session.execute(insert(CompanyMembership), [
        {"user_id": i + 1, "company_id": 1 + i % COMPANIES, "started_at": now} for i in range(PEOPLE)
    ])
    db.session.add(User(email="manager@bench.test", password_hash=password, full_name="Менеджер Бенч",
                        role=MANAGER, email_confirmed_at=now))
    db.session.commit()


def run() -> None:
    print(f"console: {COMPANIES} companies, {PEOPLE} participants")
    with bench_app() as app:
        with app.app_context():
            start = time.perf_counter()
            build(random.Random(7))
            print(f"  built in {time.perf_counter() - start:.1f} s on {db.engine.dialect.name}")
        client = app.test_client()
        client.post("/login", data={"email": "manager@bench.test", "password": "bench12345"})

        def get(path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        timed("people list, first page", lambda: get("/console/people"))
        timed("people list, page 400", lambda: get("/console/people?page=400"))
        timed("people search by name (Cyrillic, case-insensitive)", lambda: get("/console/people?q=смирнов"))
        timed("people search by phone digits", lambda: get("/console/people?q=9990001"))
        timed("people of one company", lambda: get("/console/people?company=17"))
        timed("companies list with staff counts", lambda: get("/console/companies"))
        timed("companies search by INN prefix", lambda: get("/console/companies?q=600000"))
        timed("dashboard", lambda: get("/home"))
