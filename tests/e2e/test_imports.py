"""A manager imports the program's planning table (issue #23) as CSV and then as XLSX: sees the preview with
the figures read, confirms, and finds the plan on the KPI pages; in Russian and in English."""

import io

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from portal.core.time import today
from portal.extensions import db
from portal.kpi import stages
from tests.e2e.test_accounts import log_in
from tests.kpi.test_seed_table import SEED, seed_csv

WORDS = {
    "ru": {"import": "Импорт из XLSX или CSV", "preview": "Предпросмотр: прочитано строк: 3, пока ничего не записано.",
           "changes_csv": "Будет создано: 30, изменено: 0.", "changes_xlsx": "Будет создано: 0, изменено: 1.",
           "done": "План загружен", "wrong": "вне этапов программы"},
    "en": {"import": "Import from XLSX or CSV", "preview": "Preview: 3 rows read, nothing written yet.",
           "changes_csv": "Will create 30, change 0.", "changes_xlsx": "Will create 0, change 1.",
           "done": "Plan imported", "wrong": "outside the program's stages"},
}


def _xlsx_with_april(registered: int) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(SEED[0])
    for row in SEED[1:]:
        sheet.append([row[0], *(float(c[:-1]) / 100 if c.endswith("%") else int(c) for c in row[1:])])
    sheet["C2"] = registered  # April's registrations
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_manager_imports_the_seed_table_as_csv_and_xlsx(app, live_server, page, make, shot, locale, tmp_path):
    words = WORDS[locale]
    make.user(role="manager", email="manager@example.test", full_name="Белов Кирилл", locale=locale)
    with app.app_context():
        stages.add_months(today().year, 4, 12)
        db.session.commit()
    bad = tmp_path / "plan-january.csv"
    bad.write_text("KPI type;Main KPI;Jan\nПроходят обучение;30%;5\n", encoding="utf-8")
    (tmp_path / "plan.csv").write_bytes(seed_csv(";", "cp1251"))
    (tmp_path / "plan.xlsx").write_bytes(_xlsx_with_april(160))

    log_in(page, live_server, "manager@example.test")
    page.goto(f"{live_server}/kpi/plan")
    page.get_by_role("link", name=words["import"]).click()
    page.locator("#file").set_input_files(str(bad))
    page.get_by_test_id("import-plan").click()
    expect(page.get_by_test_id("header-errors")).to_contain_text(words["wrong"])
    expect(page.get_by_test_id("confirm-import")).to_have_count(0)

    page.locator("#file").set_input_files(str(tmp_path / "plan.csv"))
    page.get_by_test_id("import-plan").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text(words["preview"])
    expect(page.get_by_test_id("import-changes")).to_contain_text(words["changes_csv"])
    report = page.get_by_test_id("import-report")
    expect(report.locator("tbody tr").nth(1)).to_contain_text("60%")
    expect(report.locator("tbody tr").nth(2)).to_contain_text("Проходят обучение")
    shot(page, f"preview-csv-{locale}")
    page.get_by_test_id("confirm-import").click()
    expect(page.locator(".alert-success")).to_contain_text(words["done"])
    grid = page.get_by_test_id("plan-grid")
    expect(grid.locator("input[name='t-active-total']")).to_have_value("60")
    expect(grid.locator("input[name^='t-registered-']").nth(1)).to_have_value("150")

    page.get_by_test_id("plan-import-link").click()
    page.locator("#file").set_input_files(str(tmp_path / "plan.xlsx"))
    page.get_by_test_id("import-plan").click()
    expect(page.get_by_test_id("import-changes")).to_contain_text(words["changes_xlsx"])
    page.get_by_test_id("confirm-import").click()
    expect(page.locator(".alert-success")).to_contain_text(words["done"])
    expect(page.get_by_test_id("plan-grid").locator("input[name^='t-registered-']").nth(1)).to_have_value("160")

    page.goto(f"{live_server}/kpi")
    table = page.get_by_test_id("kpi-table")
    expect(table.locator("tr[data-kpi='registered']")).to_contain_text("160")
    expect(table.locator("tr[data-kpi='active']")).to_contain_text("60")
    shot(page, f"kpi-{locale}")
