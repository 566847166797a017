"""A rule scoped by a partner group counts the claim's company's groups on the invoice date."""

from datetime import datetime, timedelta

from portal.auth.models import MANAGER
from portal.claims import services as claims
from portal.core.time import frozen_time, today
from portal.groups import services as groups
from tests.claims import factories as f


def test_group_scoped_rule_pays_only_members_on_the_invoice_date(db, make):
    manager = make.user(role=MANAGER)
    seller = make.user()
    f.product()
    group = groups.save_group("Интеграторы Gold", "", manager)
    rule = f.per_unit_rule(points=100, name="Gold", group_ids=[group.id])
    rule.group_ids = [group.id]
    invoice_day = today() - timedelta(days=10)
    with frozen_time(datetime.combine(invoice_day - timedelta(days=5), datetime.min.time())):
        groups.add_company(group, seller.company, manager)
    member_sale = f.submitted(seller, number="G-1", invoice_date=invoice_day)
    assert claims.approve_claim(member_sale, manager).points == 200
    groups.remove_company(group, seller.company, manager)  # removed today: the earlier invoice still counted
    later_sale = f.submitted(seller, number="G-2", invoice_date=today())
    assert claims.approve_claim(later_sale, manager).points == 0
