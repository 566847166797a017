"""The program's own planning table imports as people write it (issue #23): months, a whole-period column,
percentages, KPI names from the table; a preview that writes nothing, a confirmation that writes all, and an
export that re-imports unchanged."""

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from portal.auth.models import MANAGER
from portal.extensions import db
from portal.kpi import imports, plan, stages
from portal.kpi.models import PROGRAM, KpiPlanRevision, KpiTarget

SEED = [
    ["KPI type", "Main KPI", "Apr", "May", "June", "July", "Aug", "Sep", "Oct", "Nov", "Dec"],
    ["Число зарегистрированных в программе партнеров", "700", "150", "50", "50", "150", "50", "50", "150", "50", "0"],
    ["Активно участвуют, регистрируют продажи", "60%", "90", "30", "30", "90", "30", "30", "90", "30", "0"],
    ["Проходят обучение", "30%", "45", "15", "15", "45", "15", "15", "45", "15", "0"],
]
MONTHLY = {"registered": [150, 50, 50, 150, 50, 50, 150, 50, 0], "active": [90, 30, 30, 90, 30, 30, 90, 30, 0],
           "trained": [45, 15, 15, 45, 15, 15, 45, 15, 0]}
TOTALS = {"registered": 700, "active": 6000, "trained": 3000}  # shares' totals are stored in hundredths of a %


def seed_csv(delimiter=";", encoding="utf-8") -> bytes:
    lines = []
    for row in SEED:
        cells = [f'"{c}"' if delimiter in c else c for c in row]
        lines.append(delimiter.join(cells))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def seed_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(SEED[0])
    for row in SEED[1:]:  # numbers as a spreadsheet holds them: 60% is 0.6
        sheet.append([row[0], *(float(c[:-1]) / 100 if c.endswith("%") else int(c) for c in row[1:])])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def year(db):
    return stages.add_months(2026, 4, 12)


def assert_seed_plan(year):
    targets = plan.targets_for(PROGRAM, "")
    for code, months in MONTHLY.items():
        assert [targets[(code, stage.id)].target for stage in year] == months, code
        assert targets[(code, None)].target == TOTALS[code], code
    assert len(targets) == 30


@pytest.mark.parametrize(("name", "content"), [
    ("plan.csv", seed_csv()), ("plan.csv", seed_csv(",")), ("plan.csv", seed_csv(";", "cp1251")),
    ("plan.csv", b"\xef\xbb\xbf" + seed_csv()), ("plan.xlsx", seed_xlsx())],
    ids=["semicolon", "comma", "cp1251", "bom", "xlsx"])
def test_the_seed_table_imports_to_the_right_stage_targets(year, db, make, name, content):
    report = imports.check_import(name, content)
    assert report.ok, [r.errors for r in report.rows] + report.header_errors
    assert [r.kpi for r in report.rows] == ["registered", "active", "trained"]
    assert report.created == 30 and report.updated == 0
    assert report.rows[1].notes == ["месяцы в сумме дают 420 человек: 60% от 700 запланированных регистраций"]
    assert db.session.scalar(select(func.count(KpiTarget.id))) == 0  # the preview writes nothing
    assert imports.apply_import(report, make.user(role=MANAGER)) == 30
    assert_seed_plan(year)


def test_a_month_outside_the_stages_and_an_unknown_kpi_are_named(year, db):
    rows = [[*SEED[0], "Jan"], [*SEED[1], "5"], ["Активно участвуют продажи", *SEED[2][1:], "1"],
            ["Совсем другое", *SEED[3][1:], "1"]]
    content = "\n".join(";".join(r) for r in rows).encode()
    report = imports.check_import("plan.csv", content)
    assert not report.ok
    assert any("«Jan»" in e and "вне этапов программы" in e for e in report.header_errors), report.header_errors
    errors = {r.number: " ".join(r.errors) for r in report.rows}
    assert "возможно, вы имели в виду «Активно регистрируют продажи»" in errors[3]
    assert "«Совсем другое»" in errors[4] and "Зарегистрировано сотрудников партнёров" in errors[4]


def test_the_export_re_imports_unchanged(year, db, make, app):
    boss = make.user(role=MANAGER)
    imports.apply_import(imports.check_import("plan.csv", seed_csv()), boss)
    plan.set_targets(PROGRAM, "", {("sales_amount", year[0].id): 1_500_050}, boss)  # 15 000,50 RUB
    db.session.flush()
    revisions = db.session.scalar(select(func.count(KpiPlanRevision.id)))
    with app.test_request_context():
        from portal.kpi.plan_table import table_of_plan

        header, rows = table_of_plan(PROGRAM, "", year)
    by_label = {r[0]: r for r in rows}
    assert header[:3] == ["KPI", "Цель программы", "Апрель 2026"]
    assert by_label["Активно регистрируют продажи"][1:4] == ["60%", 90, 30]  # the share's 60%, not 420 people
    assert by_label["Сумма продаж"][2] == "15000.5"
    for fmt in ("csv", "xlsx"):
        content = _as_file(fmt, header, rows)
        report = imports.check_import(f"plan.{fmt}", content)
        assert report.ok, [r.errors for r in report.rows] + report.header_errors
        assert report.created == report.updated == 0
        assert imports.apply_import(report, boss) == 0
    assert db.session.scalar(select(func.count(KpiPlanRevision.id))) == revisions


def _as_file(fmt, header, rows) -> bytes:
    from portal.core.exports import csv_response, xlsx_response

    response = csv_response("p", header, rows) if fmt == "csv" else xlsx_response("p", header, rows)
    return response.get_data()


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_upload_previews_and_the_confirmation_writes_all(app, client, login, make):
    with app.app_context():
        stages.add_months(2026, 4, 12)
        db.session.commit()
    make.user(role=MANAGER, email="m@example.test")
    login("m@example.test")
    response = client.post("/kpi/plan/import", data={"file": (io.BytesIO(seed_xlsx()), "plan.xlsx")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Предпросмотр: прочитано строк: 3, пока ничего не записано." in page
    assert "60%" in page and "Проходят обучение" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(KpiTarget.id))) == 0
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/kpi/plan/import/confirm", data={"token": token + "x"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(KpiTarget.id))) == 0  # a forged token writes nothing
    response = client.post("/kpi/plan/import/confirm", data={"token": token})
    assert response.status_code == 302 and response.location.endswith("/kpi/plan?scope=program&key=")
    with app.app_context():
        assert_seed_plan(stages.all_stages())
    export = client.get("/kpi/plan/export.xlsx")
    sheet = load_workbook(io.BytesIO(export.get_data())).active
    assert [c.value for c in sheet[1]][:3] == ["KPI", "Цель программы", "Апрель 2026"]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("plan.csv", b"", "Файл пуст."),
    ("plan.csv", b"\r\n;;\r\n", "Файл пуст."),
    ("plan.xlsx", b"PK\x03\x04 broken", "не читается как книга XLSX"),
    ("plan.pdf", b"%PDF-1.4", "Загрузите файл XLSX или CSV."),
    ("plan.csv", ("KPI;Apr\n" + "registered;1\n" * 5001).encode(), "слишком много строк"),
])
def test_bad_files_get_a_clear_message_and_write_nothing(app, client, login, make, name, content, message):
    with app.app_context():
        stages.add_months(2026, 4, 12)
        db.session.commit()
    make.user(role=MANAGER, email="m@example.test")
    login("m@example.test")
    response = client.post("/kpi/plan/import", data={"file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(KpiTarget.id))) == 0


def test_a_file_over_the_size_limit_is_refused_with_a_message(app, client, login, make):
    make.user(role=MANAGER, email="m@example.test")
    login("m@example.test")
    response = client.post("/kpi/plan/import", data={"file": (io.BytesIO(b"x" * (20 * 1024 * 1024)), "plan.csv")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    assert "Файл слишком большой" in response.get_data(as_text=True)


def test_a_groups_plan_imports_into_the_group_and_its_export_re_imports_unchanged(year, db, make, app):
    from portal.kpi.models import GROUP
    from portal.kpi.plan_table import table_of_plan
    from portal.partners.models import PartnerGroup

    group = PartnerGroup(name="Дилеры")
    db.session.add(group)
    db.session.flush()
    scope = (GROUP, str(group.id))
    boss = make.user(role=MANAGER)
    assert imports.apply_import(imports.check_import("plan.csv", seed_csv(), scope), boss) == 30
    assert plan.targets_for(PROGRAM, "") == {}  # the program's own plan is untouched
    assert plan.targets_for(*scope)[("active", None)].target == 6000
    with app.test_request_context():
        header, rows = table_of_plan(*scope, year)
    report = imports.check_import("plan.csv", _as_file("csv", header, rows), scope)
    assert report.ok and report.created == report.updated == 0
