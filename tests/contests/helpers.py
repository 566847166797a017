"""Building contests and moving their scores in tests."""

from datetime import timedelta

from portal.claims import services as claims
from portal.contests import services
from portal.contests.models import SALES_AMOUNT
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import GroupMembership, PartnerGroup
from tests.claims import factories as cf


def contest_data(**overrides) -> services.ContestData:
    now = utcnow()
    values = {"title": "Весенний спринт", "starts_at": now - timedelta(days=10), "ends_at": now + timedelta(days=10),
              "metric": SALES_AMOUNT, "winners_per_league": 3,
              "prizes": [{"points": 5000, "text": ""}, {"points": 3000, "text": ""}, {"points": 1000, "text": ""}]}
    values.update(overrides)
    return services.ContestData(**values)


def contest(manager, publish=True, **overrides):
    item = services.save_contest(contest_data(**overrides), manager)
    if publish:
        services.publish_contest(item, manager)
    db.session.flush()
    return item


def group(name, *companies):
    item = db.session.query(PartnerGroup).filter_by(name=name).one_or_none()
    if item is None:
        item = PartnerGroup(name=name)
        db.session.add(item)
        db.session.flush()
    for company in companies:
        db.session.add(GroupMembership(group_id=item.id, company_id=company.id,
                                       added_at=utcnow() - timedelta(days=365)))
    db.session.flush()
    return item


_numbers = iter(range(1, 10**9))


def sale(user, manager, quantity=1, price=1_000_000, sku="SPL-09", approve=True, days_ago=3):
    """A claim of `quantity` x `sku` at `price` kopecks, submitted and (by default) approved."""
    claim = cf.submitted(user, number=f"СЧ-{next(_numbers)}", days_ago=days_ago,
                         lines=[claims.LineData(sku, quantity, price)])
    if approve:
        claims.approve_claim(claim, manager)
    return claim


def catalogue():
    if db.session.query(cf.Product).filter_by(sku="SPL-09").one_or_none() is None:
        cf.product()
        cf.product(sku="PIPE", name="Труба медная", category="Монтаж", price=100_000, cost=70_000)
