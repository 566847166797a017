"""What the rule form's pickers choose: products by SKU, companies by INN."""

from sqlalchemy import select

from portal.core.inn import normalize_inn
from portal.extensions import db
from portal.partners.models import PartnerCompany
from portal.products.models import Product


def resolve_products(codes: list[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = db.session.execute(select(Product.sku, Product.id).where(Product.sku.in_(codes)))
    return dict(rows.all())


def describe_products(ids: list[int]) -> list[tuple[str, str]]:
    if not ids:
        return []
    products = db.session.scalars(select(Product).where(Product.id.in_(ids)).order_by(Product.sku))
    return [(p.sku, f"{p.sku} — {p.name}") for p in products]


def resolve_companies(codes: list[str]) -> dict[str, int]:
    inns = {normalize_inn(code): code for code in codes}
    if not inns:
        return {}
    rows = db.session.execute(select(PartnerCompany.inn, PartnerCompany.id).where(PartnerCompany.inn.in_(list(inns))))
    return {inns[inn]: company_id for inn, company_id in rows}


def describe_companies(ids: list[int]) -> list[tuple[str, str]]:
    if not ids:
        return []
    companies = db.session.scalars(select(PartnerCompany).where(PartnerCompany.id.in_(ids))
                                   .order_by(PartnerCompany.name))
    return [(c.inn, f"{c.name} · {c.inn}") for c in companies]
