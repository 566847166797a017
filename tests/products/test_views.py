import io

from openpyxl import Workbook
from sqlalchemy import select

from portal.auth.models import MANAGER
from portal.extensions import db
from portal.products.models import Product


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_manager_adds_and_edits_a_product(app, client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    data = {"sku": "SPL-12", "name": "Сплит 12", "category": "Сплит-системы", "list_price": "65 000,00",
            "cost": "51000", "active": "y"}
    assert client.post("/console/products/new", data=data).status_code == 302
    again = client.post("/console/products/new", data=data)
    assert "Другой товар уже имеет этот артикул." in again.get_data(as_text=True)
    with app.app_context():
        product = db.session.scalar(select(Product))
        assert (product.list_price_kopecks, product.cost_kopecks) == (6_500_000, 5_100_000)
    response = client.post(f"/console/products/{product.id}", data={**data, "list_price": "много"})
    assert "Укажите сумму в рублях" in response.get_data(as_text=True)


def _upload(client, content: bytes, name: str) -> str:
    response = client.post("/console/products/import", data={"file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _token(page: str) -> str:
    return page.split('name="token" type="hidden" value="')[1].split('"')[0]


def test_a_file_with_errors_reports_rows_and_imports_nothing(app, client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    content = (
        "артикул;название;категория;цена;себестоимость\n"
        "A-1;Кондиционер;Сплит;1000;800\n;Без артикула;Сплит;10;5\nA-2;Дорогой;Сплит;100;150\n"
    )
    page = _upload(client, content.encode("cp1251"), "products.csv")
    assert "Ничего не будет импортировано: строк с ошибками: 2." in page
    assert "нет артикула" in page and "себестоимость выше цены" in page and "Кондиционер" in page
    assert 'name="token"' not in page  # nothing to confirm: no half-import
    with app.app_context():
        assert db.session.scalar(select(Product)) is None


def test_xlsx_previews_then_the_confirmation_writes_all(app, client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    rows = [["sku", "name", "category", "list_price", "cost", "active"],
            ["B-1", "Насос", "Насосы", 12000.5, 9000, 1], ["B-2", "Котёл", "Котлы", 90000, 70000, "нет"]]
    page = _upload(client, xlsx(rows), "p.xlsx")
    assert "Будет создано: 2, изменено: 0." in page and "12\xa0000,50" in page
    with app.app_context():
        assert db.session.scalar(select(Product)) is None  # the preview writes nothing
    response = client.post("/console/products/import/confirm", data={"token": _token(page)}, follow_redirects=True)
    assert "Импортировано: новых 2, обновлено 0." in response.get_data(as_text=True)
    rows[1][3] = 13000
    page = _upload(client, xlsx(rows), "p.xlsx")
    assert "Будет создано: 0, изменено: 1." in page
    client.post("/console/products/import/confirm", data={"token": _token(page)})
    with app.app_context():
        products = {p.sku: p for p in db.session.scalars(select(Product))}
        assert products["B-1"].list_price_kopecks == 1_300_000
        assert products["B-2"].active is False


def test_the_template_is_the_catalogue_and_re_imports_unchanged(app, client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    rows = [["sku", "name", "category", "list_price", "cost", "active"],
            ["B-1", "Насос", "Насосы", 12000.5, 9000, 1], [1024, "Котёл", "Котлы", 90000, 70000, 0]]
    client.post("/console/products/import/confirm", data={"token": _token(_upload(client, xlsx(rows), "p.xlsx"))})
    with app.app_context():  # a workbook's numbers: SKU 1024 (not 1024.0), the flag 0 (not in the program)
        assert {p.sku: p.active for p in db.session.scalars(select(Product))} == {"B-1": True, "1024": False}
    for fmt in ("csv", "xlsx"):
        template = client.get(f"/console/products/import/template.{fmt}")
        assert template.status_code == 200
        page = _upload(client, template.get_data(), f"products.{fmt}")
        assert "Будет создано: 0, изменено: 0." in page, fmt


def test_participants_cannot_manage_products(client, login, make):
    make.user(email="seller@example.test")
    login("seller@example.test")
    assert client.get("/console/products").status_code == 403
    assert client.post("/console/products/import").status_code == 403
