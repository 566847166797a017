"""A product's English name: on the console form, in the import (optional column) and its template, and on English
pages (the Russian name where none was written)."""

import io

from sqlalchemy import select

from portal.auth.models import MANAGER
from portal.extensions import db
from portal.products.models import Product


def _upload(client, content: bytes, name: str = "products.csv") -> str:
    return client.post("/console/products/import", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data").get_data(as_text=True)


def _token(page: str) -> str:
    return page.split('name="token" type="hidden" value="')[1].split('"')[0]


def test_the_english_name_by_form_and_import_and_on_english_pages(app, client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    assert client.post("/console/products/new", data={
        "sku": "SPL-12", "name": "Сплит 12", "name_en": "Split 12", "category": "Сплит-системы",
        "list_price": "65 000,00", "cost": "51000", "active": "y"}).status_code == 302
    # An import without the column keeps the English name; with it, sets it.
    page = _upload(client, "sku;name;category;list_price;cost\nSPL-12;Сплит 12;Сплит-системы;65000;51000\n".encode())
    assert "Будет создано: 0, изменено: 0." in page
    page = _upload(client, "sku;name;category;list_price;cost;name_en\n"
                           "SPL-12;Сплит 12;Сплит-системы;65000;51000;Split system 12\n"
                           "P-1;Насос;Насосы;1000;800;\n".encode())
    assert "Будет создано: 1, изменено: 1." in page
    client.post("/console/products/import/confirm", data={"token": _token(page)})
    with app.app_context():
        assert {p.sku: p.name_en for p in db.session.scalars(select(Product))} == {
            "SPL-12": "Split system 12", "P-1": None}
    template = client.get("/console/products/import/template.csv").get_data(as_text=True)
    assert template.lstrip("\ufeff").splitlines()[0].split(";")[-1] == "name_en" and "Split system 12" in template
    assert "Будет создано: 0, изменено: 0." in _upload(client, template.encode())
    for locale, expected in (("en", ["Split system 12", "Насос"]), ("ru", ["Сплит 12", "Насос"])):
        make.user(email=f"seller-{locale}@example.test", locale=locale)
        login(f"seller-{locale}@example.test")
        names = sorted(p["name"] for p in client.get("/products/search?q=").get_json())
        assert names == sorted(expected), locale
    # A Russian reader typing the English name finds the product, named in Russian.
    assert [p["name"] for p in client.get("/products/search?q=split").get_json()] == ["Сплит 12"]
