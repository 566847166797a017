"""A partner's own articles mapped to catalogue products: "our article X is your SKU Y".

A UPD names goods by the seller's code. A line whose code is a catalogue SKU needs nothing; otherwise the
company's mapping says which product it is. The mapping is learned from the participant's first manual choice
on the claim form and kept (seen, changed, deleted) by the partner admin.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.models import PARTNER_ADMIN, User
from portal.claims.models import ArticleMapping
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.products.models import Product


def article_key(article: str | None) -> str:
    return "".join((article or "").split()).upper()[:100]


def products_by_article(company_id: int, articles: list[str]) -> dict[str, tuple[Product, str]]:
    """The product each article names, by article key: a catalogue SKU first, then the company's mapping.
    Each value is (product, "sku" or "mapping")."""
    keys = {article_key(a) for a in articles if article_key(a)}
    if not keys:
        return {}
    found: dict[str, tuple[Product, str]] = {}
    for product in db.session.scalars(select(Product).where(Product.sku.in_(keys | set(articles)))):
        found.setdefault(article_key(product.sku), (product, "sku"))
    missing = keys - found.keys()
    if missing:
        rows = db.session.scalars(select(ArticleMapping).where(ArticleMapping.company_id == company_id,
                                                               ArticleMapping.article_key.in_(missing)))
        for mapping in rows:
            found[mapping.article_key] = (mapping.product, "mapping")
    return found


def remember_articles(user: User, company_id: int, choices: list[tuple[str, Product]]) -> list[ArticleMapping]:
    """Learn the company's mapping from lines a participant matched by hand: an article that is no SKU and not
    mapped yet is mapped to the product chosen for it. The first choice is kept; the partner admin changes it."""
    learned = []
    for article, product in choices:
        key = article_key(article)
        if not key or key == article_key(product.sku) or any(m.article_key == key for m in learned):
            continue
        if products_by_article(company_id, [article]):
            continue
        mapping = ArticleMapping(company_id=company_id, article=" ".join(article.split())[:100], article_key=key,
                                 product_id=product.id, created_by_id=user.id)
        db.session.add(mapping)
        learned.append(mapping)
    db.session.flush()
    return learned


def company_mappings(company_id: int) -> list[ArticleMapping]:
    return list(db.session.scalars(select(ArticleMapping).where(ArticleMapping.company_id == company_id)
                                   .order_by(ArticleMapping.article_key)))


def _require_admin(mapping: ArticleMapping, actor: User) -> None:
    if actor.role != PARTNER_ADMIN or actor.company_id != mapping.company_id:
        raise NotAllowed(_l("Only your company's partner admin changes its articles."))


def change_mapping(mapping: ArticleMapping, actor: User, sku: str) -> ArticleMapping:
    """Point an article at another product of the catalogue."""
    _require_admin(mapping, actor)
    sku = (sku or "").split(" — ")[0].strip()
    product = db.session.scalar(select(Product).where(Product.sku == sku)) if sku else None
    if product is None:
        raise DomainError(_l("Choose a product from the catalogue."), field="product")
    if not product.active:
        raise DomainError(_l("%(product)s is no longer in the program.", product=product.name), field="product")
    mapping.product_id = product.id
    db.session.flush()
    return mapping


def delete_mapping(mapping: ArticleMapping, actor: User) -> None:
    _require_admin(mapping, actor)
    db.session.delete(mapping)
    db.session.flush()
