import itertools
from decimal import Decimal

from portal.core.inn import make_inn
from portal.extensions import db
from portal.leads import services
from portal.leads.models import LeadChannel, LeadRewardRule

_n = itertools.count(1)
PDF = b"%PDF-1.4\n% lead brief\n"


def channel(name_ru=None, name_en=None):
    n = next(_n)
    item = LeadChannel(name_ru=name_ru or f"Канал для тестов {n}", name_en=name_en or f"Test channel {n}")
    db.session.add(item)
    db.session.flush()
    return item


def customer_inn() -> str:
    return make_inn(f"77{next(_n):07d}")


def data(channel_id, **overrides) -> services.LeadData:
    n = next(_n)
    values = {
        "customer_name": f"ООО «Покупатель {n}»", "customer_inn": customer_inn(), "customer_kpp": "",
        "region": "Москва", "contact_name": "Иванов Иван", "contact_phone": f"+7 916 {n % 1000:03d}-{n % 100:02d}-11",
        "contact_email": f"buyer{n}@mail.ru", "need": "Сплит-системы, 10 штук", "category": None,
        "estimated_kopecks": 50_000_000, "expected_close_date": None, "channel_id": channel_id, "comment": "",
    }
    values.update(overrides)
    return services.LeadData(**values)


def lead(user, channel_id, **overrides):
    return services.register_lead(user, data(channel_id, **overrides))


def rule(kind="fixed", value=500, channel_id=None, category=None, name=None):
    item = LeadRewardRule(name=name or f"Правило {kind} {value}", kind=kind, value=Decimal(value),
                          channel_id=channel_id, category=category)
    db.session.add(item)
    db.session.flush()
    return item
