"""A manager enters the program's plan for April to December in the grid, sees plan against actual with
charts, drills into a company and downloads the KPI table as XLSX: in Russian and in English."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from portal.auth.models import User
from portal.claims import services as claims
from portal.core.time import today
from portal.extensions import db
from tests.claims import factories as f
from tests.e2e.test_accounts import log_in

PLAN = {
    "registered": ("700", [150, 50, 50, 150, 50, 50, 150, 50, 0]),
    "active": ("60", [90, 30, 30, 90, 30, 30, 90, 30, 0]),
    "trained": ("30", [45, 15, 15, 45, 15, 15, 45, 15, 0]),
}
WORDS = {
    "ru": {"program": "Программа", "plan": "План KPI и этапы", "reports": "Отчёты", "table": "KPI: план и факт",
           "label": "План: Зарегистрировано сотрудников партнёров, цель программы", "saved": "План сохранён",
           "basis": "против плановой доли 30%"},
    "en": {"program": "Program", "plan": "KPI plan and stages", "reports": "Reports", "table": "KPI: plan and actual",
           "label": "Plan: Partners' staff registered, program target", "saved": "Plan saved",
           "basis": "against the planned share of 30%"},
}


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_manager_enters_the_plan_sees_charts_drills_down_and_downloads(app, live_server, page, make, shot, locale):
    words = WORDS[locale]
    climate = make.company(name="ООО «Климат Плюс»", region="Москва")
    seller = make.user(email="seller@example.test", full_name="Соколова Анна", company=climate)
    make.user(company=climate, email="idle@example.test", full_name="Петров Пётр")
    make.user(role="manager", email="manager@example.test", full_name="Белов Кирилл", locale=locale)
    with app.app_context():
        f.product()
        claim = f.submitted(db.session.get(User, seller.id), number="KPI-1",
                            invoice_date=today() - timedelta(days=0 if today().day == 1 else 1))
        claims.approve_claim(claim, db.session.scalar(db.select(User).where(User.email == "manager@example.test")))
        db.session.commit()

    log_in(page, live_server, "manager@example.test")
    page.get_by_role("button", name=words["program"]).click()
    page.get_by_role("link", name=words["plan"]).first.click()
    page.goto(f"{live_server}/kpi/stages")
    page.locator("#months-first_month").select_option("1")
    page.locator("#months-last_month").select_option("12")
    page.get_by_test_id("add-months").click()
    expect(page.get_by_test_id("stages").locator("tbody tr")).to_have_count(12)
    page.goto(f"{live_server}/kpi/plan")
    grid = page.get_by_test_id("plan-grid")
    grid.get_by_label(words["label"]).fill(PLAN["registered"][0])
    for code, (total, months) in PLAN.items():
        cells = grid.locator(f"input[name^='t-{code}-']")
        expect(cells).to_have_count(13)  # the program target, then January to December
        cells.nth(0).fill(total)
        for index, value in enumerate(months):
            cells.nth(4 + index).fill(str(value))  # April is the fourth month
    shot(page, f"grid-{locale}")
    page.get_by_test_id("save-plan").click()
    expect(page.locator(".alert-success")).to_contain_text(words["saved"])
    expect(grid.locator("input[name^='t-active-']").nth(0)).to_have_value("60")

    page.get_by_role("button", name=words["reports"]).click()
    page.get_by_role("link", name=words["table"]).first.click()
    table = page.get_by_test_id("kpi-table")
    expect(table.locator("tr[data-kpi='registered']")).to_contain_text("150")
    # The share's total is compared with the planned share, and its footnote says so in the reader's language.
    expect(table.locator("tr[data-kpi='trained'] [data-testid='kpi-basis']")).to_contain_text(words["basis"])
    expect(page.locator("canvas[data-kpi-chart]")).to_have_count(3)
    expect(page.get_by_test_id("chart-table").first).to_contain_text("150")
    page.wait_for_function("() => window.Chart !== undefined"
                           " && Chart.getChart(document.querySelector('canvas[data-kpi-chart]')) !== undefined")
    shot(page, f"table-{locale}")

    page.get_by_test_id("company-link").filter(has_text="Климат Плюс").click()
    expect(page.get_by_test_id("kpi-scope")).to_have_text("ООО «Климат Плюс»")
    expect(page.get_by_test_id("never-sold")).to_contain_text("Петров Пётр")
    expect(page.get_by_test_id("never-sold")).not_to_contain_text("Соколова Анна")
    shot(page, f"company-{locale}")
    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    assert download.value.suggested_filename == f"kpi-company-{climate.id}.xlsx"
    with open(download.value.path(), "rb") as saved:
        sheet = load_workbook(io.BytesIO(saved.read())).active
    assert sheet.cell(row=1, column=1).value == "KPI"
    assert sheet.max_row == 13  # the header and a row per KPI counted by company (points are program-wide)

    page.goto(f"{live_server}/home")
    expect(page.get_by_test_id("dashboard-stage")).to_be_visible()
    expect(page.get_by_test_id("count-claims")).to_be_visible()  # the queues stay on the dashboard
    shot(page, f"dashboard-{locale}")
