"""Plans with their progress as a file: money in roubles with the reader's decimal mark, completion as a
percentage, the list's filters; a long list is written by the worker."""

import csv
import io

from openpyxl import load_workbook

from portal.auth.models import MANAGER
from portal.core.time import today
from portal.plans.models import MONTH, SALES_AMOUNT, UNITS
from portal.plans.periods import period_of


def _plans(client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    make.user(email="a@example.test", full_name="Соколова Анна")
    make.user(email="b@example.test", full_name="Орлов Борис")
    login("manager@example.test")
    key = period_of(MONTH, today()).key
    for email, metric, target in (("a@example.test", SALES_AMOUNT, "150 000,50"), ("b@example.test", UNITS, "12")):
        assert client.post("/console/plans/set", data={"email": email, "period": key, "metric": metric,
                                                        "target": target}).status_code == 302
    return key


def test_plans_download_as_a_russian_csv_and_a_typed_xlsx(app, client, login, make):
    key = _plans(client, login, make)
    page = client.get(f"/console/plans?period={key}").get_data(as_text=True)
    assert f"/console/plans/export.csv?period={key}" in page
    text = client.get(f"/console/plans/export.csv?period={key}").get_data(as_text=True)
    header, *rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert header[:7] == ["Участник", "Email", "Компания", "Показатель", "План", "Факт", "Выполнение плана"]
    by_name = {row[0]: row for row in rows}
    assert by_name["Соколова Анна"][4:7] == ["150000,50", "0,00", "0"]
    assert by_name["Орлов Борис"][4:7] == ["12", "0", "0"]
    assert by_name["Орлов Борис"][9] == "задан вручную"
    sheet = load_workbook(io.BytesIO(client.get(f"/console/plans/export.xlsx?period={key}").data)).active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:J3"
    anna = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "Соколова Анна")
    assert (float(anna[4].value), anna[4].number_format, anna[6].number_format) == (150000.5, "#,##0.00", "0.0%")
    units = client.get(f"/console/plans/export.csv?period={key}&metric=units").get_data(as_text=True)
    assert "Орлов Борис" in units and "Соколова Анна" not in units


def test_a_long_plan_list_goes_to_the_worker(app, client, login, make, monkeypatch, tmp_path):
    key = _plans(client, login, make)
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 1)
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    response = client.get(f"/console/plans/export.xlsx?period={key}")
    assert response.status_code == 302 and "/exports/" in response.headers["Location"]
