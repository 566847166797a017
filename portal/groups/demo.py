"""Demo partner groups by region and tier, with a little membership history."""

from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import User
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import APPROVED, GroupMembership, PartnerCompany, PartnerGroup

GROUPS = [
    ("Дилеры Москвы", "Дилеры Москвы и Московской области: отдельная лига в конкурсах."),
    ("Северо-Запад", "Партнёры Санкт-Петербурга."),
    ("Регионы", "Партнёры за пределами Москвы и Санкт-Петербурга."),
    ("Интеграторы Gold", "Интеграторы с оборотом от 10 млн ₽ в год: повышенные баллы за VRF."),
    ("Интеграторы Silver", "Интеграторы, растущие к уровню Gold."),
]


def load(rng) -> None:
    now = utcnow()
    manager = db.session.scalar(select(User).where(User.email == "manager@demo.test"))
    companies = list(db.session.scalars(
        select(PartnerCompany).where(PartnerCompany.status == APPROVED).order_by(PartnerCompany.id)))
    groups = {}
    for name, description in GROUPS:
        group = PartnerGroup(name=name, description=description, created_by_id=manager.id,
                             created_at=now - timedelta(days=200))
        db.session.add(group)
        groups[name] = group
    db.session.flush()

    def add(group, company, days_ago, removed_days_ago=None):
        db.session.add(GroupMembership(
            group_id=group.id, company_id=company.id, added_at=now - timedelta(days=days_ago),
            added_by_id=manager.id,
            removed_at=now - timedelta(days=removed_days_ago) if removed_days_ago is not None else None,
            removed_by_id=manager.id if removed_days_ago is not None else None))

    for company in companies:
        if company.region in ("Москва", "Московская область"):
            add(groups["Дилеры Москвы"], company, 190)
        elif company.region == "Санкт-Петербург":
            add(groups["Северо-Запад"], company, 190)
        else:
            add(groups["Регионы"], company, 190)
    tiered = companies[:]
    rng.shuffle(tiered)
    gold = [companies[0], *[c for c in tiered if c is not companies[0]][:5]]
    for company in gold:
        add(groups["Интеграторы Gold"], company, 120)
    silver = [c for c in tiered if c not in gold][:8]
    for company in silver[:6]:
        add(groups["Интеграторы Silver"], company, 150)
    # Two companies moved up from Silver to Gold: their Silver membership is closed, the history stays.
    for company in silver[6:]:
        add(groups["Интеграторы Silver"], company, 170, removed_days_ago=40)
        add(groups["Интеграторы Gold"], company, 40)
    db.session.flush()
