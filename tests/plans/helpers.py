import itertools
from datetime import date, datetime

from portal.claims import services as claims
from portal.core.time import frozen_time
from tests.claims import factories as f

NOW = datetime(2026, 6, 20, 12)  # tests run "on" 20 June 2026: sales from late April to June can be claimed
_numbers = itertools.count(1)


def approved_sale(seller, manager, invoice_date: date, lines=None):
    """A claim with `lines` [(sku, qty, price)], submitted and approved on NOW."""
    lines = lines or [("SPL-09", 2, 4_900_000)]
    with frozen_time(NOW):
        claim = f.submitted(seller, number=f"PL-{next(_numbers)}", invoice_date=invoice_date,
                            lines=[claims.LineData(sku, qty, price) for sku, qty, price in lines])
        claims.approve_claim(claim, manager)
    return claim
