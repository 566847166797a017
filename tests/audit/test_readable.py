"""The audit log as managers read it: the program's actions (not the administrators' security events), each
target named with a link, changes as "field: before → after" with typed values, times in the program's zone."""

import csv
import io
from datetime import datetime

from portal.audit import services as audit
from portal.auth import services as accounts
from portal.auth.models import ADMIN, MANAGER, User
from portal.core.time import frozen_time
from portal.extensions import db
from portal.groups import services as groups
from tests.contests import helpers as ch


def _people(app, make):
    with app.app_context():
        manager = make.user(role=MANAGER, email="m@example.test", full_name="Петров Иван")
        admin = make.user(role=ADMIN, email="root@example.test", full_name="Админ Сергей")
        seller = make.user(email="s@example.test", full_name="Соколова Анна")
        return manager.id, admin.id, seller.id


def test_a_manager_finds_their_contests_publication_by_its_name(app, client, login, make):
    manager_id, _admin, _seller = _people(app, make)
    with app.app_context():
        ch.catalogue()
        manager = db.session.get(User, manager_id)
        contest = ch.contest(manager, title="Зимний марафон")
        ch.contest(manager, title="Весенний спринт")
        db.session.commit()
        contest_id = contest.id
    login("m@example.test")
    page = client.get("/console/audit?object_name=зимний").get_data(as_text=True)
    rows = page.split('data-testid="audit-entry"')[1:]
    assert len(rows) == 2  # created and published, the spring contest left out
    link = f'<a href="/console/contests/{contest_id}">Зимний марафон</a>'
    assert "Конкурс опубликован" in rows[0] and link in rows[0]
    assert "Конкурс создан" in rows[1] and "название:</span> — → Зимний марафон" in rows[1]
    assert f'<a href="/console/people/{manager_id}">Петров Иван</a>' in rows[0]  # who, by name


def test_a_manager_does_not_see_the_administrators_security_events(app, client, login, make):
    manager_id, admin_id, seller_id = _people(app, make)
    with app.app_context():
        admin, seller = db.session.get(User, admin_id), db.session.get(User, seller_id)
        accounts.set_role(seller, "partner_admin", admin)
        audit.record(audit.MFA_ENABLED, actor=admin, object_type="user", object_id=admin.id)
        accounts.set_active(seller, False, admin)
        db.session.commit()
    login("root@example.test")
    login("m@example.test")
    page = client.get("/console/audit").get_data(as_text=True)
    assert page.count('data-testid="audit-entry"') == 1
    assert "Учётная запись отключена" in page  # a program action
    for security in ("Изменена роль", "Вход в систему", "Двухфакторный вход включён"):
        assert security not in page
    assert 'value="auth.sign_in"' not in page  # nor offered as a filter
    assert "Вход в систему" not in client.get("/console/audit?action=auth.sign_in").get_data(as_text=True)
    text = client.get("/console/audit/export.csv").get_data(as_text=True)
    assert "Учётная запись отключена" in text and "Изменена роль" not in text and "root@example.test" in text
    login("root@example.test")
    rows = client.get("/console/audit").get_data(as_text=True).split('data-testid="audit-entry"')[1:]
    assert any("Изменена роль" in row for row in rows) and any("Вход в систему" in row for row in rows)


def test_changes_read_as_before_and_after_with_names_money_and_local_times(app, client, login, make):
    manager_id, _admin, seller_id = _people(app, make)
    with app.app_context():
        manager = db.session.get(User, manager_id)
        with frozen_time(datetime(2026, 12, 7, 21, 30)):  # 8 December, 00:30 in Moscow
            audit.record(audit.CONTEST_FINALISED, actor=manager, object_type="contest", object_id=999,
                         changes={"winners": [[1, seller_id, 100], [2, manager_id, 50]]})
            audit.record(audit.SETTINGS_CHANGED, actor=manager, object_type="program_settings", object_id=1,
                         changes={"point_value_kopecks": [100, 250]})
        company = make.company(name="ООО «Вектор»")
        company_id = company.id
        groups.add_company(groups.save_group("Сибирь", "", manager), db.session.get(type(company), company_id),
                           manager)
        db.session.commit()
    login("m@example.test")
    page = client.get("/console/audit").get_data(as_text=True)
    assert (f'1. <a href="/console/people/{seller_id}">Соколова Анна</a>, 100 баллов; '
            f'2. <a href="/console/people/{manager_id}">Петров Иван</a>, 50 баллов') in page
    assert "[1," not in page and "→ [2" not in page
    assert "1,00\xa0₽ → 2,50\xa0₽" in page  # money in roubles
    assert 'title="2026-12-07 21:30:00 UTC">08.12.2026, 00:30<' in page  # Moscow time, UTC on hover
    assert "конкурс #999" in page  # an object that is gone keeps its number
    assert f'<a href="/console/companies/{company_id}">ООО «Вектор»</a>' in page
    assert "Компания добавлена в группу" in page and "Сибирь</a>" in page


def test_the_log_downloads_in_the_readers_language(app, client, login, make):
    manager_id, _admin, seller_id = _people(app, make)
    with app.app_context():
        db.session.get(User, manager_id).locale = "en"
        audit.record(audit.CLAIM_APPROVED, actor=db.session.get(User, manager_id), object_type="user",
                     object_id=seller_id, changes={"points": 1500, "participant": seller_id})
        db.session.commit()
    login("m@example.test")
    rows = list(csv.reader(io.StringIO(client.get("/console/audit/export.csv").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    assert rows[0][:3] == ["When", "Who", "Email"]
    approved = next(row for row in rows if row[5] == "Claim approved")
    assert approved[1] == "Петров Иван" and approved[7] == "Соколова Анна"
    assert approved[8] == "points: 1,500; participant: Соколова Анна"


def test_the_date_filters_are_the_programs_days(app, client, login, make):
    manager_id, _admin, _seller = _people(app, make)
    with app.app_context():
        manager = db.session.get(User, manager_id)
        with frozen_time(datetime(2026, 12, 7, 21, 30)):  # 8 December in Moscow
            audit.record(audit.CONTEST_PUBLISHED, actor=manager, object_type="contest", object_id=1)
        db.session.commit()
    login("m@example.test")

    def found(query):
        return 'data-testid="audit-entry"' in client.get(f"/console/audit?action=contest.published&{query}") \
            .get_data(as_text=True)

    assert found("date_from=2026-12-08&date_to=2026-12-08")
    assert not found("date_from=2026-12-07&date_to=2026-12-07")
    # A date out of the calendar the field reads (year 1) is explained at the field, never a 500.
    page = client.get("/console/audit?action=contest.published&date_to=0001-01-01")
    assert page.status_code == 200 and "ДД.ММ.ГГГГ" in page.get_data(as_text=True)
    assert client.get("/console/audit?date_from=9999-12-31").status_code == 200
