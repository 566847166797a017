"""The product catalogue: editing, and importing it from a spreadsheet with a row-by-row report."""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from portal.core.errors import DomainError
from portal.core.fields import MONEY_MAX, normalise_number
from portal.core.imports import read_table
from portal.core.sql import lower_text
from portal.extensions import db
from portal.products.models import Product


def parse_money(text) -> int | None:
    """An amount typed the Russian way or the English way -> kopecks; None when it is not an amount.

    '12 345,50', '12345.5', '12,345.50', '12.345,50', '45,000' (forty-five thousand: a separator followed by
    three digits groups thousands, since no amount of money has three decimals) all read as people mean them.
    """
    if text is None:
        return None
    if isinstance(text, int | float | Decimal):
        value = Decimal(str(text))
    else:
        cleaned = normalise_number(re.sub(r"₽|руб\.?|RUB", "", str(text), flags=re.IGNORECASE))
        if not cleaned:
            return None
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            return None
    # NaN, infinities and 1e309 are not amounts (and would make quantize() raise).
    if not value.is_finite() or value < 0 or value > MONEY_MAX or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


@dataclass
class ProductData:
    sku: str
    name: str
    category: str
    list_price_kopecks: int
    cost_kopecks: int
    active: bool = True
    name_en: str | None = None  # the English name; None: not given (an import without the column keeps it)


def _check(data: ProductData, product: Product | None = None) -> None:
    if not data.sku.strip():
        raise DomainError(_l("Enter the SKU."), field="sku")
    if not data.name.strip():
        raise DomainError(_l("Enter the product name."), field="name")
    if not data.category.strip():
        raise DomainError(_l("Enter the category."), field="category")
    if data.list_price_kopecks is None or data.list_price_kopecks <= 0:
        raise DomainError(_l("Enter the list price."), field="list_price")
    if data.cost_kopecks is None or data.cost_kopecks < 0:
        raise DomainError(_l("Enter the cost."), field="cost")
    existing = find_by_sku(data.sku)
    if existing is not None and existing is not product:
        raise DomainError(_l("Another product already has this SKU."), field="sku")


def save_product(data: ProductData, product: Product | None = None) -> Product:
    _check(data, product)
    if product is None:
        product = Product()
        db.session.add(product)
    product.sku = data.sku.strip()
    product.name = " ".join(data.name.split())
    product.category = " ".join(data.category.split())
    product.list_price_kopecks = data.list_price_kopecks
    product.cost_kopecks = data.cost_kopecks
    product.active = data.active
    if data.name_en is not None:
        product.name_en = " ".join(data.name_en.split()) or None
    db.session.flush()
    return product


def find_by_sku(sku: str) -> Product | None:
    return db.session.scalar(select(Product).where(Product.sku == (sku or "").strip()))


def search_products(q: str = "", category: str = "", active: str = ""):
    query = select(Product).order_by(Product.category, Product.name)
    q = (q or "").strip()
    if q:
        query = query.where(or_(lower_text(Product.name).like(f"%{q.lower()}%"), Product.sku.ilike(f"%{q}%"),
                                lower_text(Product.name_en).like(f"%{q.lower()}%")))
    if category:
        query = query.where(Product.category == category)
    if active == "yes":
        query = query.where(Product.active.is_(True))
    elif active == "no":
        query = query.where(Product.active.is_(False))
    return query


def categories() -> list[str]:
    return list(db.session.scalars(select(Product.category).distinct().order_by(Product.category)))


# --- import --------------------------------------------------------------------------------------

COLUMNS = ("sku", "name", "category", "list_price", "cost", "active", "name_en")  # name_en is optional
HEADER_ALIASES = {
    "sku": "sku", "артикул": "sku", "name": "name", "название": "name", "наименование": "name",
    "name_en": "name_en", "name in english": "name_en", "english name": "name_en",
    "название на английском": "name_en", "название (англ.)": "name_en",
    "category": "category", "категория": "category", "list_price": "list_price", "price": "list_price",
    "цена": "list_price", "cost": "cost", "себестоимость": "cost", "active": "active", "активен": "active",
}


@dataclass
class ImportRow:
    number: int
    data: ProductData | None
    errors: list[str] = field(default_factory=list)
    exists: bool = False
    changed: bool = False  # an existing product this row changes


def _differs(product: Product, data: ProductData) -> bool:
    english = product.name_en if data.name_en is None else (" ".join(data.name_en.split()) or None)
    return (product.name, product.category, product.list_price_kopecks, product.cost_kopecks, product.active,
            product.name_en) != (" ".join(data.name.split()), " ".join(data.category.split()),
                                 data.list_price_kopecks, data.cost_kopecks, data.active, english)


def read_rows(filename: str, content: bytes) -> list[list]:
    """The rows of an uploaded CSV or XLSX file, header first (the import frame's reader)."""
    return read_table(filename, content)


def _cell(value) -> str:
    """A cell as text: a workbook holds SKU 1024 or a flag 0 as the number 1024.0 or 0.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value if value is not None else "").strip()


def check_import(rows: list[list]) -> list[ImportRow]:
    """Validate every row; nothing is written. Each row says what is wrong with it, in the reader's language."""
    if not rows:
        raise DomainError(_l("The file is empty."), field="file")
    header = [HEADER_ALIASES.get(str(h or "").strip().lower()) for h in rows[0]]
    missing = [c for c in COLUMNS[:5] if c not in header]
    if missing:
        raise DomainError(_l("The file needs the columns: %(columns)s.", columns=", ".join(COLUMNS)), field="file")
    result, seen = [], set()
    for number, raw in enumerate(rows[1:], start=2):
        if not any(str(v or "").strip() for v in raw):
            continue
        values = {name: raw[i] if i < len(raw) else None for i, name in enumerate(header) if name}
        row = ImportRow(number, None)
        sku, name, category = _cell(values.get("sku")), _cell(values.get("name")), _cell(values.get("category"))
        price = parse_money(values.get("list_price"))
        cost = parse_money(values.get("cost"))
        active = _cell(values.get("active") if values.get("active") is not None else "1").lower()
        if not sku:
            row.errors.append(str(_l("no SKU")))
        elif sku in seen:
            row.errors.append(str(_l("the SKU repeats an earlier row")))
        if not name:
            row.errors.append(str(_l("no name")))
        if not category:
            row.errors.append(str(_l("no category")))
        if price is None or price <= 0:
            row.errors.append(str(_l("the price is not a positive amount")))
        if cost is None:
            row.errors.append(str(_l("the cost is not an amount")))
        elif price is not None and cost > price:
            row.errors.append(str(_l("the cost is above the price")))
        seen.add(sku)
        if not row.errors:
            row.data = ProductData(sku, name, category, price, cost,
                                   active not in {"0", "no", "false", "нет", "n"},
                                   _cell(values.get("name_en"))[:200] if "name_en" in header else None)
            existing = find_by_sku(sku)
            row.exists = existing is not None
            row.changed = existing is not None and _differs(existing, row.data)
        result.append(row)
    return result


def apply_import(rows: list[ImportRow]) -> tuple[int, int]:
    """Create or update the products of every row, or none when any row is wrong. Returns (created, updated)."""
    if not rows or any(row.data is None for row in rows):
        raise DomainError(_l("The file has errors: nothing was imported."))
    created = updated = 0
    for row in rows:
        product = find_by_sku(row.data.sku)
        save_product(row.data, product)
        if product is None:
            created += 1
        elif row.changed:
            updated += 1
    return created, updated


def catalogue_table() -> tuple[list[str], list[list]]:
    """The catalogue in the import's layout: the template to fill in, and an export that re-imports unchanged."""
    rows = [[p.sku, p.name, p.category, Decimal(p.list_price_kopecks) / 100, Decimal(p.cost_kopecks) / 100,
             1 if p.active else 0, p.name_en or ""]
            for p in db.session.scalars(select(Product).order_by(Product.category, Product.sku))]
    return list(COLUMNS), rows
