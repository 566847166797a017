import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.auth.models import ADMIN, MANAGER
from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.models import LedgerTransaction
from portal.program.models import ProgramSettings


@pytest.fixture
def seller(app, make):
    person = make.user(email="seller@example.test", full_name="Соколова Анна")
    with app.app_context():
        ledger.earn(person.id, 1200, key="s1", source_type="sale", source_id=1, params={"invoice": "СЧ-101"})
        ledger.spend(person.id, 200, key="o1", source_type="order", source_id=5)
        db.session.commit()
    return person


def test_participant_sees_balance_and_translated_statement(client, login, seller):
    login("seller@example.test")
    page = client.get("/points").get_data(as_text=True)
    assert 'data-testid="balance-available">1\xa0000<' in page or 'data-testid="balance-available">1 000<' in page
    assert "Одобрена продажа, счёт СЧ-101" in page
    assert "Заказ приза № 5" in page
    assert "В ближайшие 90 дней ничего не сгорит." in page


def test_statement_exports(client, login, seller):
    login("seller@example.test")
    response = client.get("/points/export.csv")
    text = response.get_data(as_text=True)
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert text.startswith("\ufeffДата;Описание;Операция;Баллы;Остаток")
    assert "Одобрена продажа, счёт СЧ-101;Начисление;1200;1200" in text
    response = client.get("/points/export.xlsx?kind=spend")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.values)
    assert rows[0] == ("Дата", "Описание", "Операция", "Баллы", "Остаток")
    assert [row[3] for row in rows[1:]] == [-200]


def test_bad_filters_get_a_message_not_an_error(client, login, seller):
    login("seller@example.test")
    response = client.get("/points?date_from=2026-13-45&date_to=yesterday&kind=bogus")
    assert response.status_code == 200
    response = client.get("/points?date_from=2026-05-10&date_to=2026-05-01")
    assert "Конец периода раньше его начала." in response.get_data(as_text=True)


def test_participant_cannot_open_anyone_elses_statement(client, login, seller, make):
    make.user(email="other@example.test")
    login("other@example.test")
    assert client.get(f"/console/people/{seller.id}/points").status_code == 403
    assert client.get(f"/console/people/{seller.id}/points/export.csv").status_code == 403
    page = client.get("/points").get_data(as_text=True)
    assert "СЧ-101" not in page


def test_manager_adjusts_with_a_reason_shown_to_the_participant(app, client, login, seller, make):
    make.user(role=MANAGER, email="manager@example.test", full_name="Белов Кирилл")
    login("manager@example.test")
    form = {"direction": "credit", "points": "150", "reason": "Бонус за выставку", "request_id": "r-1"}
    response = client.post(f"/console/people/{seller.id}/points/adjust", data=form, follow_redirects=True)
    assert "Корректировка проведена: 150 баллов. Начислено." in response.get_data(as_text=True)
    # The same form sent again (a double click) records nothing more.
    client.post(f"/console/people/{seller.id}/points/adjust", data=form)
    with app.app_context():
        assert ledger.balance_of(seller.id) == 1150
    participant = app.test_client()
    participant.post("/login", data={"email": "seller@example.test", "password": "secret123"})
    assert "Корректировка, Белов Кирилл: Бонус за выставку" in participant.get("/points").get_data(as_text=True)


def test_debit_beyond_the_balance_is_refused_next_to_the_field(app, client, login, seller, make):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    form = {"direction": "debit", "points": "5000", "reason": "ошибка", "request_id": "r-2"}
    response = client.post(f"/console/people/{seller.id}/points/adjust", data=form)
    assert response.status_code == 400
    assert "Недостаточно баллов: доступно 1000, нужно 5000." in response.get_data(as_text=True)
    with app.app_context():
        assert ledger.balance_of(seller.id) == 1000
        assert db.session.scalar(select(func.count(LedgerTransaction.id))) == 2


def test_program_totals_page(client, login, seller, make):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    page = client.get("/console/points").get_data(as_text=True)
    assert 'data-testid="total-issued">1\xa0200<' in page or 'data-testid="total-issued">1 200<' in page
    assert 'data-testid="total-spent">200<' in page
    assert "1\xa0000,00\xa0₽" in page  # outstanding 1,000 points at 1 RUB


def test_only_an_admin_changes_settings(app, client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    make.user(role=ADMIN, email="admin@example.test")
    login("manager@example.test")
    assert client.post("/console/settings", data={"point_value": "2", "points_expire_months": "6"}).status_code == 403
    client.post("/logout")
    login("admin@example.test")
    response = client.post("/console/settings", data={"point_value": "abc"})
    assert "Укажите сумму в рублях" in response.get_data(as_text=True)
    form = {"point_value": "0,50", "points_expire_months": "", "claim_window_days": "30"}
    client.post("/console/settings", data=form)
    with app.app_context():
        settings = db.session.get(ProgramSettings, 1)
        assert (settings.point_value_kopecks, settings.points_expire_months) == (50, None)


def test_cli_run_jobs_and_check_ledger(app, seller):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "run-jobs"])
    assert result.exit_code == 0 and "expire-points: 0 lots expired" in result.output
    result = runner.invoke(args=["portal", "check-ledger"])
    assert result.exit_code == 0 and "consistent" in result.output


def test_the_statement_lists_entries_by_their_moment_newest_first_whatever_order_they_were_posted_in(
        app, client, login, make):
    """A sale approved today for an earlier moment, posted after a later one: the statement goes by the moment."""
    from datetime import datetime

    from portal.core.time import frozen_time

    person = make.user(email="late@example.test")
    with app.app_context():
        with frozen_time(datetime(2026, 3, 10, 9, 0)):
            ledger.earn(person.id, 300, key="march", source_type="sale", source_id=2, params={"invoice": "МАРТ"})
        with frozen_time(datetime(2026, 1, 15, 9, 0)):
            ledger.earn(person.id, 100, key="january", source_type="sale", source_id=1, params={"invoice": "ЯНВ"})
        with frozen_time(datetime(2026, 3, 10, 9, 0)):  # the same moment as March: by id, newest first
            ledger.earn(person.id, 50, key="march-2", source_type="sale", source_id=3, params={"invoice": "МАРТ-2"})
        db.session.commit()
    login("late@example.test")
    page = client.get("/points").get_data(as_text=True)
    assert page.index("счёт МАРТ-2") < page.index("счёт МАРТ<") < page.index("счёт ЯНВ")
    text = client.get("/points/export.csv").get_data(as_text=True)
    invoices = [line.split(";")[1].rsplit(" ", 1)[-1] for line in text.strip().splitlines()[1:]]
    assert invoices == ["МАРТ-2", "МАРТ", "ЯНВ"]


def test_the_statement_filters_by_days_of_the_programs_calendar(app, client, login, make):
    """01:30 on 10 March in Moscow is still 9 March in UTC: a filter for 10 March lists it."""
    from datetime import datetime

    from portal.core.time import frozen_time

    person = make.user(email="night@example.test")
    with app.app_context():
        with frozen_time(datetime(2026, 3, 9, 22, 30)):
            ledger.earn(person.id, 300, key="night", source_type="sale", source_id=2, params={"invoice": "НОЧЬ"})
        with frozen_time(datetime(2026, 3, 10, 21, 30)):  # 00:30 on 11 March in Moscow
            ledger.earn(person.id, 100, key="next", source_type="sale", source_id=1, params={"invoice": "УТРО"})
        db.session.commit()
    login("night@example.test")
    page = client.get("/points?date_from=2026-03-10&date_to=2026-03-10").get_data(as_text=True)
    assert "счёт НОЧЬ" in page and "счёт УТРО" not in page


def _statements_of(app, client, path: str) -> list[str]:
    from sqlalchemy import event

    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


def test_a_repeated_statement_is_rendered_once_and_then_read_from_the_cache(app, client, login, seller):
    login("seller@example.test")
    first = client.get("/points?kind=issuance").get_data(as_text=True)
    assert len(_statements_of(app, client, "/points?kind=issuance")) == 1  # the signed-in person, nothing else
    assert client.get("/points?kind=issuance").get_data(as_text=True) == first
    other_page = client.get("/points?kind=spend").get_data(as_text=True)  # the query string is part of the key
    assert "Заказ приза № 5" in other_page and "Подтверждена продажа" not in other_page
    long_query = "/points?kind=spend&x=" + "y" * 400  # too long to cache: rendered each time, still HTML
    assert 'data-testid="statement"' in client.get(long_query).get_data(as_text=True)


def test_the_cached_statement_shows_a_posting_or_a_new_point_value_on_the_next_request(app, client, login, seller):
    login("seller@example.test")
    assert "Заказ приза № 7" not in client.get("/points").get_data(as_text=True)
    client.get("/points")  # now from the cache
    with app.app_context():  # another request (a checkout, the worker) posts to the person's ledger
        ledger.spend(seller.id, 100, key="o7", source_type="order", source_id=7)
        db.session.commit()
    page = client.get("/points").get_data(as_text=True)
    assert "Заказ приза № 7" in page
    assert 'data-testid="balance-available">900<' in page
    with app.app_context():  # the manager changes the value of a point: the roubles beside the balance follow
        db.session.get(ProgramSettings, 1).point_value_kopecks = 300
        db.session.commit()
    assert "2\xa0700,00\xa0₽" in client.get("/points").get_data(as_text=True)
