"""The plan imported from XLSX in the plan table's shape: a report for every row, nothing half-imported."""

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from portal.auth.models import MANAGER
from portal.core.errors import DomainError
from portal.kpi import imports, plan, stages
from portal.kpi.models import COMPANY, PROGRAM, KpiPlanRevision, KpiTarget


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def year(db):
    return stages.add_months(2026, 4, 12)


HEADER = ["KPI", "Цель программы", "Апрель 2026", "май", "2026-06", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def test_the_issue_table_imports_whole(year, db, make):
    boss = make.user(role=MANAGER)
    content = _xlsx([HEADER,
                     ["Зарегистрировано сотрудников партнёров", 700, 150, 50, 50, 150, 50, 50, 150, 50, 0],
                     ["Активно регистрируют продажи", "60%", 90, 30, 30, 90, 30, 30, 90, 30, 0],
                     ["completing training", 0.3, 45, 15, 15, 45, 15, 15, 45, 15, 0]])
    report = imports.check_import("plan.xlsx", content)
    assert report.ok, [r.errors for r in report.rows] + report.header_errors
    assert imports.apply_import(report, boss) == 30
    targets = plan.targets_for(PROGRAM, "")
    assert targets[("active", None)].target == 6000
    assert targets[("trained", year[0].id)].target == 45
    assert db.session.scalar(select(func.count()).where(KpiPlanRevision.source == "import")) == 30


def test_bad_rows_are_reported_and_nothing_is_imported(year, db, make):
    company = make.company(name="ООО «Есть»")
    content = _xlsx([["Компания", *HEADER, "Тринадцатябрь"],
                     ["", "registered", 700, "сто", 50, 50, 150, 50, 50, 150, 50, 0, None],
                     ["", "active", "120%", 90, 30, 30, 90, 30, 30, 90, 30, 0, None],
                     ["ООО «Нет такой»", "registered", None, -5, 50, 50, 150, 50, 50, 150, 50, 0, None],
                     [company.inn, "registered", None, 10, 50, 50, 150, 50, 50, 150, 50, 0, None],
                     ["", "no such kpi", 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, None]])
    report = imports.check_import("plan.xlsx", content)
    assert not report.ok
    assert any("Тринадцатябрь" in e for e in report.header_errors)
    errors = {r.number: " ".join(r.errors) for r in report.rows}
    assert "сто" in errors[2]
    assert "100%" in errors[3]
    assert "Нет такой" in errors[4] and "отрицательн" in errors[4]
    assert errors[5] == ""  # the company's own row is right
    assert "no such kpi" in errors[6]
    assert report.rows[3].scope == (COMPANY, str(company.id))
    with pytest.raises(DomainError):
        imports.apply_import(report, make.user(role=MANAGER))
    assert db.session.scalar(select(func.count(KpiTarget.id))) == 0


@pytest.mark.parametrize(("name", "content"), [("plan.txt", b"x"), ("plan.xlsx", b"not a workbook"),
                                               ("plan.csv", b"")])
def test_unreadable_files_are_refused(year, db, name, content):
    with pytest.raises(DomainError):
        imports.check_import(name, content)
