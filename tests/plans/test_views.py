"""Plan pages: who sees what, the manager's flows, and the participant's card."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.auth.models import MANAGER, PARTNER_ADMIN
from portal.core.time import today
from portal.extensions import db
from portal.plans import services
from portal.plans.models import MONTH, SALES_AMOUNT, UNITS, PlanActual, SalesPlan
from portal.plans.periods import period_of

MANAGER_PAGES = ["/console/plans", "/console/plans/set", "/console/plans/defaults", "/console/plans/import",
                 "/console/plans/export.xlsx"]


@pytest.mark.parametrize("role", ["participant", PARTNER_ADMIN])
@pytest.mark.parametrize("path", MANAGER_PAGES)
def test_partner_staff_cannot_open_manager_plan_pages(client, login, make, role, path):
    make.user(role=role, email="someone@example.test")
    login("someone@example.test")
    assert client.get(path).status_code == 403


def test_participants_cannot_see_team_plans_and_managers_have_no_plan_page(client, login, make):
    make.user(email="seller@example.test")
    login("seller@example.test")
    assert client.get("/team/plans").status_code == 403
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    assert client.get("/plan").status_code == 403


def _plan(app, person, metric=UNITS, target=10, period=None):
    with app.app_context():
        manager = db.session.scalar(select(SalesPlan.updated_by_id))  # any; None is fine
        plan = SalesPlan(user_id=person.id, metric=metric, period_kind=MONTH,
                         period_start=(period or period_of(MONTH, today())).start,
                         period_end=(period or period_of(MONTH, today())).end, target=target,
                         updated_by_id=manager)
        db.session.add(plan)
        db.session.commit()
        return plan.id


def test_participant_sees_own_plan_on_home_and_plan_page(client, login, make, app):
    seller = make.user(email="seller@example.test")
    other = make.user(full_name="Чужой Человек")
    _plan(app, seller, SALES_AMOUNT, 15_000_000)
    _plan(app, other, UNITS, 77)
    login("seller@example.test")
    home = client.get("/home").get_data(as_text=True)
    assert 'data-testid="plan-card"' in home and "Мой план продаж" in home and "0%" in home
    page = client.get("/plan").get_data(as_text=True)
    assert "Сумма продаж" in page and "150" in page and "Темп" in page
    assert "Продано штук" not in page  # the other person's plan (units) is not shown


def test_participant_without_plan_sees_a_friendly_card(client, login, make):
    make.user(email="seller@example.test")
    login("seller@example.test")
    assert "На этот период план вам не задан" in client.get("/home").get_data(as_text=True)


def test_partner_admin_sees_only_their_company(client, login, make, app):
    company = make.company()
    make.user(role=PARTNER_ADMIN, email="head@example.test", company=company)
    colleague = make.user(company=company, full_name="Коллега Свой")
    stranger = make.user(full_name="Чужой Конкурент")
    _plan(app, colleague)
    stranger_plan = _plan(app, stranger)
    login("head@example.test")
    page = client.get("/team/plans").get_data(as_text=True)
    assert "Коллега Свой" in page and "Чужой Конкурент" not in page
    assert client.get(f"/team/plans?company={stranger.company_id}").get_data(as_text=True).count("Чужой") == 0
    assert client.post(f"/console/plans/{stranger_plan}/delete").status_code == 403


@pytest.fixture
def manager(make, login):
    make.user(role=MANAGER, email="manager@example.test")
    return login("manager@example.test")


def test_manager_sets_a_plan_and_sees_it_with_filters(client, manager, make):
    seller = make.user(email="seller@example.test", full_name="Соколова Анна")
    key = period_of(MONTH, today()).key
    response = client.post("/console/plans/set", data={"email": "Seller@Example.test", "period": key,
                                                        "metric": SALES_AMOUNT, "target": "150 000"})
    assert response.status_code == 302
    page = client.get(f"/console/plans?period={key}").get_data(as_text=True)
    assert "Соколова Анна" in page and "150" in page
    assert "Соколова Анна" in client.get(f"/console/plans?period={key}&behind=1").get_data(as_text=True) or \
        today().day == 1  # on the first day nobody is behind yet
    assert "Соколова Анна" not in client.get(f"/console/plans?period={key}&metric=units").get_data(as_text=True)
    export = client.get(f"/console/plans/export.xlsx?period={key}")
    sheet = load_workbook(io.BytesIO(export.data)).active
    assert sheet.cell(row=2, column=1).value == "Соколова Анна" and sheet.cell(row=2, column=5).value == 150000
    form = client.get(f"/console/plans/set?user={seller.id}").get_data(as_text=True)
    assert "seller@example.test" in form


@pytest.mark.parametrize("data", [
    {"email": "nobody@example.test", "metric": UNITS, "target": "5"},
    {"email": "seller@example.test", "metric": UNITS, "target": "1e309"},
    {"email": "seller@example.test", "metric": UNITS, "target": "NaN"},
    {"email": "seller@example.test", "metric": UNITS, "target": "9" * 40},
    {"email": "seller@example.test", "metric": "bogus", "target": "5"},
    {"email": "seller@example.test", "metric": UNITS, "target": "5", "period": "2026-13"},
    {"email": "x" * 10_000, "metric": UNITS, "target": "5"},
])
def test_bad_plan_input_is_refused_with_a_message(client, manager, make, data):
    make.user(email="seller@example.test")
    data = {"period": period_of(MONTH, today()).key, **data}
    response = client.post("/console/plans/set", data=data)
    assert response.status_code == 200 and "invalid-feedback" in response.get_data(as_text=True)
    with client.application.app_context():
        assert db.session.scalar(select(SalesPlan)) is None



@pytest.mark.parametrize(("locale", "metric", "message"), [
    ("ru", UNITS, "Слишком большой план: не больше 10\xa0000\xa0000\xa0000\xa0000."),
    ("ru", SALES_AMOUNT, "Слишком большой план: не больше 100\xa0000\xa0000\xa0000 руб."),
    ("en", UNITS, "The target is too large: at most 10,000,000,000,000."),
    ("en", SALES_AMOUNT, "The target is too large: at most 100,000,000,000 roubles."),
])
def test_a_personal_target_too_large_says_so_with_the_largest_allowed(client, login, make, locale, metric, message):
    make.user(email="seller@example.test")
    make.user(role=MANAGER, email="boss@example.test", locale=locale)
    login("boss@example.test")
    response = client.post("/console/plans/set", data={"email": "seller@example.test", "metric": metric,
                                                        "period": period_of(MONTH, today()).key, "target": "9" * 25})
    assert response.status_code == 200 and message in response.get_data(as_text=True)

@pytest.mark.parametrize("query", ["period=9999-99", "period=" + "x" * 10_000, "group=1e309", "company=" + "9" * 40,
                                   "page=NaN", "metric=%00", "behind=1&q=" + "я" * 10_000])
def test_bad_filters_never_fail(client, manager, query):
    assert client.get(f"/console/plans?{query}").status_code == 200
    assert client.get(f"/console/plans/export.xlsx?{query}").status_code == 200


def test_import_flow_needs_confirmation_and_a_file_without_errors(client, manager, make):
    make.user(email="seller@example.test")
    key = period_of(MONTH, today()).key
    data = {"period": key, "metric": "", "file": (io.BytesIO(
        b"email;metric;target\nseller@example.test;units;12\nnobody@example.test;units;3\n"), "plans.csv")}
    page = client.post("/console/plans/import", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "Ничего не будет импортировано: строк с ошибками: 1." in page and 'name="token"' not in page
    data["file"] = (io.BytesIO(b"email;metric;target\nseller@example.test;units;12\n"), "plans.csv")
    page = client.post("/console/plans/import", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "Будет создано: 1, изменено: 0." in page
    with client.application.app_context():
        assert db.session.scalar(select(SalesPlan)) is None
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    client.post("/console/plans/import/confirm", data={"token": token, "period": key, "metric": ""})
    with client.application.app_context():
        assert db.session.scalar(select(SalesPlan.target)) == 12
    again = client.post("/console/plans/import/confirm", data={"token": token, "period": key},
                        follow_redirects=True)
    assert "загрузите его снова" in again.get_data(as_text=True).lower()


def test_the_template_holds_the_periods_plans_and_re_imports_unchanged(client, manager, make):
    make.user(email="seller@example.test")
    key = period_of(MONTH, today()).key
    data = {"period": key, "metric": "", "file": (io.BytesIO(
        b"email;metric;target\nseller@example.test;units;12\nseller@example.test;sales_amount;150 000,50\n"),
        "plans.csv")}
    page = client.post("/console/plans/import", data=data, content_type="multipart/form-data").get_data(as_text=True)
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    client.post("/console/plans/import/confirm", data={"token": token, "period": key, "metric": ""})
    for fmt in ("csv", "xlsx"):
        template = client.get(f"/console/plans/import/template.{fmt}?period={key}")
        assert template.status_code == 200
        data["file"] = (io.BytesIO(template.get_data()), f"plans.{fmt}")
        page = client.post("/console/plans/import", data=data, content_type="multipart/form-data")
        assert "Будет создано: 0, изменено: 0." in page.get_data(as_text=True), fmt


def test_default_and_copy_through_the_pages(client, manager, make, app):
    seller = make.user(email="seller@example.test", full_name="Соколова Анна")
    current = period_of(MONTH, today())
    with app.app_context():
        from portal.auth.models import User

        boss = db.session.scalar(select(User).where(User.email == "manager@example.test"))
        services.set_plan(db.session.get(User, seller.id), UNITS, current.previous(), 9, boss)
        db.session.commit()
    copied = client.post("/console/plans/copy", data={"period": current.key, "metric": ""}, follow_redirects=True)
    assert "Скопировано планов" in copied.get_data(as_text=True)
    response = client.post("/console/plans/defaults", data={"period": current.key, "metric": UNITS, "target": "4",
                                                            "audience": "", "group": ""}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "сохранено собственных планов — 1" in text
    with app.app_context():
        assert db.session.scalar(select(SalesPlan.target).where(SalesPlan.period_start == current.start)) == 9


def test_recompute_command_reports_and_fixes_drift(app, make):
    seller = make.user()
    with app.app_context():
        db.session.add(PlanActual(user_id=seller.id, month=date(2026, 6, 1), sales_amount=100, units=1, margin=0,
                                  approved_claims=1))
        db.session.commit()
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["plans", "recompute", "--check"])
    assert checked.exit_code == 1 and "stored 100, claims say 0" in checked.output
    fixed = runner.invoke(args=["plans", "recompute"])
    assert fixed.exit_code == 0 and "3 differences fixed" in fixed.output
    assert runner.invoke(args=["plans", "recompute", "--check"]).exit_code == 0


def test_partner_admin_without_company_sees_no_team(client, login, make, app):
    head = make.user(role=PARTNER_ADMIN, email="head@example.test")
    with app.app_context():
        from portal.auth.models import User

        db.session.get(User, head.id).company_id = None
        db.session.commit()
    login("head@example.test")
    assert client.get("/team/plans").status_code == 404


def _actual(app, person, units):
    """What the person sold this month, as the maintained monthly actuals hold it."""
    with app.app_context():
        db.session.add(PlanActual(user_id=person.id, month=today().replace(day=1), units=units))
        db.session.commit()


def test_plans_rank_people_and_companies_by_share_of_plan(client, manager, make, app):
    north, south = make.company(name="ООО «Север»"), make.company(name="ООО «Юг»")
    people = {
        "Анна": (make.user(full_name="Анна", company=north, audience="manager"), 10, 5),
        "Борис": (make.user(full_name="Борис", company=north, audience="specialist"), 10, 12),
        "Вера": (make.user(full_name="Вера", company=south, audience="manager"), 4, 3),
    }
    for person, target, done in people.values():
        _plan(app, person, UNITS, target)
        _actual(app, person, done)
    key = period_of(MONTH, today()).key
    page = client.get(f"/console/plans?period={key}&order=percent").get_data(as_text=True)
    rows = page.split('data-testid="plans"')[1]
    assert rows.index("Борис") < rows.index("Вера") < rows.index("Анна")  # 120%, 75%, 50%
    mine = client.get(f"/console/plans?period={key}&order=percent&audience=manager").get_data(as_text=True)
    assert "Вера" in mine and "Анна" in mine and "Борис" not in mine.split('data-testid="plans"')[1]
    ranking = client.get(f"/console/plans?period={key}&view=companies&metric=units").get_data(as_text=True)
    table = ranking.split('data-testid="company-ranking"')[1]
    assert table.index("ООО «Север»") < table.index("ООО «Юг»")  # 17 of 20 (85%) before 3 of 4 (75%)
    assert "85%" in table and "75%" in table


def test_the_companies_tab_is_paginated_and_shows_only_the_filters_that_apply_to_companies(client, manager, make, app):
    for number in range(30):
        person = make.user(full_name=f"Продавец {number:02}", company=make.company(name=f"ООО «Компания {number:02}»"))
        _plan(app, person, UNITS, 100)
        _actual(app, person, 100 - number)  # company 00 first (100%), company 29 last (71%)
    key = period_of(MONTH, today()).key
    first = client.get(f"/console/plans?period={key}&view=companies&metric=units").get_data(as_text=True)
    table = first.split('data-testid="company-ranking"')[1].split("</table>")[0]
    assert "ООО «Компания 24»" in table and "ООО «Компания 25»" not in table
    assert "page=2" in first and "Найдено: 30" in first
    second = client.get(f"/console/plans?period={key}&view=companies&metric=units&page=2").get_data(as_text=True)
    table = second.split('data-testid="company-ranking"')[1].split("</table>")[0]
    assert "ООО «Компания 25»" in table and "ООО «Компания 24»" not in table
    assert '<td class="text-end">26</td>' in table  # places go on from the first page
    tabs = second.split('class="nav nav-tabs')[1].split("</ul>")[0]
    assert "page=" not in tabs  # the other tab opens on its first page
    assert '<option value="">' not in second.split('id="metric"')[1].split("</select>")[0]  # one metric is ranked
    # Searching people by name, ordering people and "behind pace only" do not apply to companies.
    for name in ('name="q"', 'name="order"', 'name="behind"'):
        assert name not in first
        assert name in client.get(f"/console/plans?period={key}").get_data(as_text=True)
    for name in ('name="period"', 'name="metric"', 'name="group"', 'name="audience"'):
        assert name in first
