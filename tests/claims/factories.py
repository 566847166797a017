from datetime import timedelta

from portal.claims import services
from portal.core.time import today
from portal.extensions import db
from portal.products.models import Product
from portal.rules.models import EarningRule

PDF = b"%PDF-1.4\n% test invoice\n"


def product(sku="SPL-09", name="Сплит-система 09", category="Сплит-системы", price=5_000_000, cost=4_000_000,
            active=True):
    item = Product(sku=sku, name=name, category=category, list_price_kopecks=price, cost_kopecks=cost, active=active)
    db.session.add(item)
    db.session.flush()
    return item


def per_unit_rule(points=100, **kwargs):
    item = EarningRule(name=kwargs.pop("name", "За штуку"), kind="per_unit", value=points, **kwargs)
    db.session.add(item)
    db.session.flush()
    return item


def draft(user, *, number="СЧ-1", days_ago=3, lines=None, scan=True, invoice_date=None):
    data = services.ClaimData(
        invoice_number=number, invoice_date=invoice_date or today() - timedelta(days=days_ago),
        customer_name="ООО «Покупатель»", customer_inn="",
        lines=lines or [services.LineData("SPL-09", 2, 4_900_000)],
    )
    scan_info = ("stored.pdf", "invoice.pdf", "application/pdf") if scan else None
    return services.save_draft(user, data, scan=scan_info)


def submitted(user, **kwargs):
    claim = draft(user, **kwargs)
    services.submit_claim(claim, user)
    return claim
