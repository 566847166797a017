"""Bad input on every import page (KPI plan, plans, products, group INNs, sales): a clear translated message,
nothing written, never a 500."""

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from portal.auth.models import MANAGER
from portal.claims.models import Claim
from portal.core.time import today
from portal.extensions import db
from portal.kpi import stages
from portal.kpi.models import KpiTarget
from portal.partners.models import GroupMembership, PartnerGroup
from portal.plans.models import MONTH, SalesPlan
from portal.plans.periods import period_of
from portal.products.models import Product


def _merged_with_formula() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Сводка", None])
    sheet.merge_cells("A1:B1")
    sheet.append(["=1/0", "=SUM(A1:A2)"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


BAD_FILES = {
    "empty": ("x.csv", b"", "Файл пуст."),
    "blank lines": ("x.csv", b"\r\n \r\n", "Файл пуст."),
    "not a workbook": ("x.xlsx", b"PK\x03\x04garbage", "Файл не читается как книга XLSX."),
    "a picture": ("x.png", b"\x89PNG\r\n\x1a\n", "Загрузите файл XLSX или CSV."),
    "cp1251 nonsense": ("x.csv", "Столбец;Другой\nзначение;ещё\n".encode("cp1251"), "столбц"),
    "merged cells and formulas": ("x.xlsx", _merged_with_formula(), ""),
    "too many rows": ("x.csv", b"a;b\n" + b"1;2\n" * 100_001, "слишком много строк"),
}


@pytest.fixture
def pages(app, make, login):
    make.user(role=MANAGER, email="m@example.test")
    with app.app_context():
        stages.add_months(2026, 4, 12)
        group = PartnerGroup(name="Группа")
        db.session.add(group)
        db.session.commit()
        group_id = group.id
    company = make.company()
    login("m@example.test")
    month = period_of(MONTH, today()).key
    return {"kpi": ("/kpi/plan/import", {}), "plans": ("/console/plans/import", {"period": month, "metric": ""}),
            "products": ("/console/products/import", {}), "groups": (f"/console/groups/{group_id}/import", {}),
            "sales": ("/integrations/import", {"company": str(company.id)})}


def _written(app) -> int:
    with app.app_context():
        return sum(db.session.scalar(select(func.count()).select_from(model)) for model in
                   (KpiTarget, SalesPlan, Product, GroupMembership, Claim))


@pytest.mark.parametrize("kind", ["kpi", "plans", "products", "groups", "sales"])
@pytest.mark.parametrize("bad", list(BAD_FILES))
def test_bad_files_get_a_message_and_write_nothing(app, client, pages, kind, bad):
    name, content, message = BAD_FILES[bad]
    path, extra = pages[kind]
    response = client.post(path, data={"file": (io.BytesIO(content), name), **extra},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:500]
    assert "invalid-feedback" in page or "table-danger" in page or "header-errors" in page, bad
    if kind == "sales" and bad == "too many rows":  # the sales import takes up to 200,000 rows
        message = "столбц"
    assert message.lower() in page.lower(), (kind, bad)
    assert 'name="token"' not in page or kind == "sales"  # nothing to confirm
    assert _written(app) == 0


def test_a_file_above_the_upload_limit_is_refused_with_a_message(client, pages):
    for path, extra in pages.values():
        response = client.post(path, data={"file": (io.BytesIO(b"x" * (20 * 1024 * 1024)), "big.csv"), **extra},
                               content_type="multipart/form-data", follow_redirects=True)
        assert response.status_code == 200
        assert "Файл слишком большой" in response.get_data(as_text=True), path
