"""A partner company's plan as a whole: set by form and import, exported, its actual kept from approved sales by the
company the seller belonged to on the invoice date, checked by `portal check`, shown on its pages."""

import csv
import io
import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from portal.auth.models import MANAGER, PARTNER_ADMIN
from portal.checks import consistency
from portal.claims import services as claims
from portal.core.time import frozen_time, today
from portal.extensions import db as _db
from portal.partners.services import move_participant
from portal.plans import actuals, imports, services
from portal.plans.models import MONTH, SALES_AMOUNT, UNITS, CompanyPlan, CompanyPlanActual
from portal.plans.periods import period_of
from portal.products.services import read_rows
from tests.claims import factories as f
from tests.plans.helpers import NOW, approved_sale

JUNE = period_of(MONTH, date(2026, 6, 1))
EARLIER = datetime(2026, 1, 10)


@pytest.fixture
def boss(make):
    return make.user(role=MANAGER)


@pytest.fixture
def catalogue(db):
    f.product()  # SPL-09: price 50,000 RUB, cost 40,000 RUB


def _company_june(company_id):
    return _db.session.scalar(select(CompanyPlanActual).where(
        CompanyPlanActual.company_id == company_id, CompanyPlanActual.month == date(2026, 6, 1)))


# --- actuals and their check ------------------------------------------------------------------------


def test_company_plan_counts_every_sellers_approved_sales_and_a_reversal_lowers_it(db, make, catalogue, boss):
    with frozen_time(EARLIER):
        anna = make.user(full_name="Соколова Анна")
        boris = make.user(full_name="Орлов Борис", company=anna.company)
    plan = services.set_company_plan(anna.company, SALES_AMOUNT, JUNE, 50_000_000, boss)  # 500,000 RUB
    first = approved_sale(anna, boss, date(2026, 6, 3))  # 98,000 RUB
    approved_sale(boris, boss, date(2026, 6, 4), [("SPL-09", 1, 5_000_000)])  # 50,000 RUB
    approved_sale(boris, boss, date(2026, 5, 30))  # May: another period
    [progress] = services.company_progress([plan], on=date(2026, 6, 15))
    assert (progress.actual, progress.percent) == (14_800_000, 29)
    with frozen_time(NOW):
        claims.reverse_claim(first, boss, "возврат")
    [progress] = services.company_progress([plan], on=date(2026, 6, 15))
    assert (progress.actual, progress.percent) == (5_000_000, 10)
    assert actuals.recompute_company_actuals(fix=False) == []
    assert consistency.company_plan_actual_drift() == []


def test_a_moved_sellers_sale_counts_for_the_company_of_its_invoice_date(db, make, catalogue, boss):
    with frozen_time(EARLIER):
        seller = make.user(full_name="Соколова Анна")
    old, new = seller.company, make.company(name="ООО «Новая»")
    for company in (old, new):
        services.set_company_plan(company, UNITS, JUNE, 10, boss)
    with frozen_time(datetime(2026, 6, 10, 9)):
        move_participant(seller, new, boss)
    approved_sale(seller, boss, date(2026, 6, 5), [("SPL-09", 3, 5_000_000)])  # before the move: the old company
    approved_sale(seller, boss, date(2026, 6, 15), [("SPL-09", 1, 5_000_000)])  # after it: the new one
    assert (_company_june(old.id).units, _company_june(new.id).units) == (3, 1)
    by_company = {p.plan.company_id: p.percent for p in services.company_plans_in(JUNE)}
    assert by_company == {old.id: 30, new.id: 10}
    assert consistency.company_plan_actual_drift() == []


def test_the_check_finds_planted_drift_and_the_rebuild_fixes_it(db, make, catalogue, boss):
    seller = make.user(full_name="Соколова Анна")
    seller.company.name = "ООО «Ромашка»"
    approved_sale(seller, boss, date(2026, 6, 3))
    assert consistency.company_plan_actual_drift() == []
    _company_june(seller.company_id).units = 7  # planted: the sale was 2 units
    _db.session.flush()
    [finding] = consistency.company_plan_actual_drift()
    assert "ООО «Ромашка»" in str(finding) and "7 → 2" in str(finding)
    assert len(actuals.recompute_company_actuals(fix=True)) == 1
    assert consistency.company_plan_actual_drift() == []


# --- setting, importing, exporting ------------------------------------------------------------------


@pytest.fixture
def manager(make, login):
    make.user(role=MANAGER, email="manager@example.test")
    return login("manager@example.test")


def test_manager_sets_a_company_plan_by_form_and_bad_input_is_explained(client, manager, make, app):
    company = make.company(name="ООО «Ромашка»")
    key = period_of(MONTH, today()).key
    form = client.get(f"/console/plans/company/set?company={company.id}").get_data(as_text=True)
    assert f'value="{company.inn}"' in form
    bad = client.post("/console/plans/company/set", data={"inn": "123", "period": key, "metric": SALES_AMOUNT,
                                                           "target": "1 500 000"})
    assert bad.status_code == 200 and "Нет компании-партнёра программы с таким ИНН." in bad.get_data(as_text=True)
    zero = client.post("/console/plans/company/set", data={"inn": company.inn, "period": key, "metric": UNITS,
                                                            "target": "0"})
    assert zero.status_code == 200 and "Введите положительный план" in zero.get_data(as_text=True)
    done = client.post("/console/plans/company/set", data={"inn": company.inn, "period": key, "metric": SALES_AMOUNT,
                                                            "target": "1 500 000"})
    assert done.status_code == 302
    with app.app_context():
        plan = _db.session.scalar(select(CompanyPlan))
        assert (plan.company_id, plan.metric, plan.target, plan.source) == (company.id, SALES_AMOUNT, 150_000_000,
                                                                           "manual")



TOO_LARGE = "9" * 25


@pytest.mark.parametrize(("metric", "largest"), [(UNITS, "10\xa0000\xa0000\xa0000\xa0000"),
                                                  (SALES_AMOUNT, "100\xa0000\xa0000\xa0000 руб.")])
def test_a_company_target_too_large_says_so_with_the_largest_allowed(client, manager, make, app, metric, largest):
    company = make.company(name="ООО «Ромашка»")
    page = client.post("/console/plans/company/set", data={
        "inn": company.inn, "period": period_of(MONTH, today()).key, "metric": metric, "target": TOO_LARGE})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Слишком большой план: не больше " + largest in text
    assert "положительный" not in text
    with app.app_context():
        assert _db.session.scalar(select(CompanyPlan)) is None


def test_an_imported_target_too_large_says_so_with_the_largest_allowed(db, make, boss):
    make.company(name="ООО «Ромашка»", inn="7707083893")
    make.user(email="seller@example.test")
    body = f"inn;email;metric;target\n7707083893;;units;{TOO_LARGE}\n;seller@example.test;sales_amount;{TOO_LARGE}\n"
    rows = imports.check_plan_import(read_rows("plans.csv", body.encode()), JUNE)
    assert [row.errors for row in rows] == [["слишком большой план: не больше 10\xa0000\xa0000\xa0000\xa0000"],
                                            ["слишком большой план: не больше 100\xa0000\xa0000\xa0000 руб"]]

def test_import_reads_a_company_row_by_inn_and_the_template_re_imports_unchanged(client, manager, make, app):
    company = make.company(name="ООО «Ромашка»")
    make.user(email="seller@example.test")
    key = period_of(MONTH, today()).key
    body = f"email;ИНН;metric;target\nseller@example.test;;units;12\n;{company.inn};sales_amount;1 500 000\n"
    data = {"period": key, "metric": "", "file": (io.BytesIO(body.encode()), "plans.csv")}
    page = client.post("/console/plans/import", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "Будет создано: 2, изменено: 0." in page and "ООО «Ромашка»" in page
    with app.app_context():
        assert _db.session.scalar(select(CompanyPlan)) is None  # nothing before confirmation
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    client.post("/console/plans/import/confirm", data={"token": token, "period": key, "metric": ""})
    with app.app_context():
        plan = _db.session.scalar(select(CompanyPlan))
        assert (plan.company_id, plan.target, plan.source) == (company.id, 150_000_000, "import")
    for fmt in ("csv", "xlsx"):
        template = client.get(f"/console/plans/import/template.{fmt}?period={key}")
        data["file"] = (io.BytesIO(template.get_data()), f"plans.{fmt}")
        page = client.post("/console/plans/import", data=data, content_type="multipart/form-data")
        assert "Будет создано: 0, изменено: 0." in page.get_data(as_text=True), fmt


def test_import_reports_an_unknown_inn_and_writes_nothing(db, make, boss):
    make.company(name="ООО «Ромашка»", inn="7707083893")
    rows = imports.check_plan_import(read_rows("plans.csv", b"inn;metric;target\n7707083893;units;5\n"
                                                            b"7707083893;units;6\n500100732259;units;5\n"), JUNE)
    assert [row.errors for row in rows] == [[], ["повторяет строку выше"],
                                            ["нет компании-партнёра программы с таким ИНН"]]
    assert _db.session.scalar(select(CompanyPlan)) is None


def test_the_plans_export_lists_the_company_plan(client, manager, make):
    company = make.company(name="ООО «Ромашка»")
    key = period_of(MONTH, today()).key
    client.post("/console/plans/company/set", data={"inn": company.inn, "period": key, "metric": UNITS,
                                                     "target": "40"})
    text = client.get(f"/console/plans/export.csv?period={key}").get_data(as_text=True)
    _header, *rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert [row[:6] for row in rows] == [["Компания в целом", "", "ООО «Ромашка»", "Продано единиц", "40", "0"]]


# --- pages ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "title", "ranking"), [
    ("ru", "План вашей компании", "План компании"), ("en", "Your company’s plan", "Company plan")])
def test_company_plan_shows_on_every_page_in_both_languages(client, login, make, app, locale, title, ranking):
    company = make.company(name="ООО «Ромашка»")
    head = make.user(role=PARTNER_ADMIN, email="head@example.test", locale=locale, company=company)
    make.user(email="seller@example.test", company=company, locale=locale)
    make.user(role=MANAGER, email="manager@example.test", locale=locale)
    period = period_of(MONTH, today())
    with app.app_context():
        from portal.auth.models import User
        boss = _db.session.scalar(select(User).where(User.email == "manager@example.test"))
        services.set_company_plan(_db.session.merge(company), UNITS, period, 40, boss)
        _db.session.commit()
    for email, path in (("seller@example.test", "/plan"), ("head@example.test", "/team/plans")):
        login(email)
        page = client.get(path).get_data(as_text=True)
        assert title in page and 'data-testid="company-plan"' in page, path
        assert 'plans/company/' not in page  # read only
    login("manager@example.test")
    tab = client.get(f"/console/plans?period={period.key}&view=companies&metric=units").get_data(as_text=True)
    assert ranking in tab and 'data-testid="company-plan-target"' in tab
    assert 'data-testid="company-plan"' in client.get(f"/console/companies/{head.company_id}").get_data(as_text=True)
    people = client.get(f"/console/plans?period={period.key}&company={head.company_id}").get_data(as_text=True)
    assert 'data-testid="company-plan"' in people and "plans/company/" in people


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_the_company_page_plan_table_fits_its_narrow_card(client, login, make, app, locale):
    """The company page shows the plan in a third of the screen: three columns (the plan, its amounts, its progress
    with the status under the bar), so the status no longer scrolls out of the card at 1366 pixels."""
    company = make.company(name="ООО «Ромашка»")
    boss = make.user(role=MANAGER, email="manager@example.test", locale=locale)
    with app.app_context():
        services.set_company_plan(_db.session.merge(company), SALES_AMOUNT, period_of(MONTH, today()), 310_000_000,
                                  _db.session.merge(boss))
        _db.session.commit()
    login("manager@example.test")
    page = client.get(f"/console/companies/{company.id}").get_data(as_text=True)
    card = page.split('data-testid="company-plans"')[1].split("</table>")[0]
    assert len(re.findall(r"<th[ >]", card)) == 3
    row = card.split('data-testid="company-plan"')[1]
    assert len(re.findall(r"<td[ >]", row)) == 3
    progress = row.split("<td")[3]
    assert 'data-testid="company-plan-percent"' in progress and "badge" in progress  # the status under the bar
    assert "table-responsive" in page.split('data-testid="company-plans"')[1].split("<table")[0]
