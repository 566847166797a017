"""A few flagged sales in the demo's review queue: a scan sent again by someone else, a sale to the seller's own
company, a price far above the catalogue. (Its own random numbers: the shared demo sequence stays as it was.)"""

from datetime import datetime, time, timedelta

from sqlalchemy import select

from portal.auth.models import PARTICIPANT, User
from portal.claims import services as claims
from portal.claims.demo import SCAN
from portal.claims.models import DRAFT, Claim
from portal.claims.scans import scan_file, store_scan
from portal.core.time import frozen_time, today
from portal.extensions import db
from portal.products.models import Product


def load(rng) -> None:
    people = db.session.scalars(
        select(User).where(User.role == PARTICIPANT, User.email.like("user%"))
        .where(User.company.has(status="approved")).order_by(User.id.desc()).limit(3)).all()
    product = db.session.scalar(select(Product).where(Product.active.is_(True)).order_by(Product.id))
    if len(people) < 3 or product is None:
        return
    original = db.session.scalar(select(Claim).where(Claim.status != DRAFT, Claim.scan_path.is_not(None),
                                                     Claim.company_id != people[0].company_id).order_by(Claim.id))
    copied = scan_file(original.scan_path).read_bytes() if original is not None else None

    def flagged(person, number, *, scan, customer_inn="", price=None, quantity=2):
        day = today() - timedelta(days=2)
        data = claims.ClaimData(
            invoice_number=number, invoice_date=day, customer_name="ООО «Северный ветер»", customer_inn=customer_inn,
            lines=[claims.LineData(product.sku, quantity, price or product.list_price_kopecks)])
        with frozen_time(datetime.combine(day, time(12, 0)) + timedelta(days=1)):
            claim = claims.save_draft(person, data, scan=store_scan("счёт.pdf", scan))
            claims.submit_claim(claim, person)

    if copied is not None:
        flagged(people[0], "УПД-5120", scan=copied)  # the very file of another company's sale
    flagged(people[1], "СЧ-3305", scan=SCAN + b"% own company\n", customer_inn=people[1].company.inn)
    flagged(people[2], "СЧ-0917", scan=SCAN + b"% price\n", price=product.list_price_kopecks * 4, quantity=1)
    db.session.flush()
