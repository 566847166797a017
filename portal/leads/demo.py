"""Demo leads in every state across the source channels, some won with attributed approved sales."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.auth.models import MANAGER, PARTICIPANT, User
from portal.claims import services as claims
from portal.claims.demo import SCAN, unique_scan
from portal.claims.scans import store_scan
from portal.core.inn import make_inn
from portal.core.time import frozen_time, today
from portal.extensions import db
from portal.products.models import Product

from . import services
from .attachments import store_attachment
from .models import LeadChannel, LeadRewardRule

REWARDS = [
    dict(name="За квалифицированный лид", kind="fixed", value=Decimal(500)),
    dict(name="Лид с выставки", kind="fixed", value=Decimal(800), channel="Выставка"),
    dict(name="Лид на VRF-систему", kind="fixed", value=Decimal(1500), category="VRF-системы"),
    dict(name="1% выручки продаж по лиду", kind="revenue_pct", value=Decimal(1)),
    dict(name="2% маржи VRF по лиду", kind="margin_pct", value=Decimal(2), category="VRF-системы"),
]

# customer, region, contact, need, category, estimate RUB, channel, script
LEADS = [
    ("ООО «Гостиница Волга»", "Нижегородская область", "Смирнов Олег", "Сплит-системы в 40 номеров",
     "Сплит-системы", 1_800_000, "Выставка", "won"),
    ("АО «Бизнес-парк Северный»", "Москва", "Ершова Дарья", "VRF-система на 3 этажа", "VRF-системы",
     6_500_000, "Рекомендация", "won"),
    ("ООО «Кофейни Утро»", "Санкт-Петербург", "Ким Алина", "Кондиционеры в 5 кофеен", "Сплит-системы", 420_000,
     "Форма на сайте", "won"),
    ("ООО «Школа танцев Ритм»", "Казань", "Лебедева Ирина", "Вентиляция зала", "Вентиляция", 900_000, "Звонок",
     "qualified"),
    ("ООО «Офис-Центр Плюс»", "Москва", "Горин Павел", "Мульти-сплит на этаж", "Мульти-сплит", 1_200_000,
     "Электронная почта", "qualified"),
    ("ИП Архипов Сергей Иванович", "Тверская область", "Архипов Сергей", "Сплит-системы в магазин",
     "Сплит-системы", 150_000, "Мессенджер", "extension"),
    ("ООО «Медицинский центр Здоровье»", "Екатеринбург", "Фомина Ольга", "Приточная вентиляция", "Вентиляция",
     2_400_000, "Выставка", "submitted"),
    ("ООО «Склад-Сервис»", "Московская область", "Зуев Игорь", "Охлаждение склада", "VRF-системы", 3_100_000,
     "Офлайн-встреча", "submitted"),
    ("ООО «Пекарня Колос»", "Самара", "Титова Анна", "Кондиционер в цех", "Сплит-системы", 95_000,
     "Форма на сайте", "submitted"),
    ("АО «Торговый дом Восход»", "Новосибирск", "Белов Денис", "Кондиционирование ТЦ", "VRF-системы", 9_000_000,
     "Звонок", "rejected"),
    ("ООО «Стоматология Улыбка»", "Москва", "Орлова Вера", "Сплит-системы в 6 кабинетов", "Сплит-системы",
     380_000, "Рекомендация", "lost"),
    ("ООО «Автосалон Мотор»", "Краснодар", "Гусев Роман", "Вентиляция шоурума", "Вентиляция", 1_600_000,
     "Выставка", "expired"),
]


def load(rng) -> None:
    manager = db.session.scalar(select(User).where(User.role == MANAGER))
    channels = {c.name_ru: c for c in db.session.scalars(select(LeadChannel))}
    if manager is None or not channels:
        return
    for values in REWARDS:
        values = dict(values)
        channel = channels.get(values.pop("channel", ""))
        db.session.add(LeadRewardRule(channel_id=channel.id if channel else None, **values))
    db.session.flush()
    people = db.session.scalars(
        select(User).where(User.email.in_(["seller@demo.test", "installer@demo.test"])).order_by(User.id)
    ).all()
    people += db.session.scalars(
        select(User).join(User.company).where(User.role == PARTICIPANT, User.email.like("user%"))
        .where(User.company.has(status="approved")).order_by(User.id).limit(4)
    ).all()
    if not people:
        return
    by_category = {}
    for product in db.session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.id)):
        by_category.setdefault(product.category, []).append(product)
    now = datetime.combine(today(), time(9, 0))
    leads = []
    for index, (customer, region, contact, need, category, estimate, channel, script) in enumerate(LEADS):
        person = people[index % len(people)]
        age = {"expired": 50, "lost": 35, "won": 30 - index, "rejected": 12}.get(script, 3 + index % 5)
        submitted = now - timedelta(days=age)
        data = services.LeadData(
            customer_name=customer, customer_inn=make_inn(f"78{index + 1:07d}"), customer_kpp="",
            region=region, contact_name=contact, contact_phone=f"+7 9{index + 10:02d} 555-{index + 10:02d}-{index:02d}",
            contact_email=f"info@lead{index + 1}.example.ru", need=need, category=category,
            estimated_kopecks=estimate * 100, expected_close_date=today() + timedelta(days=20 + index),
            channel_id=channels[channel].id, comment="",
        )
        with frozen_time(submitted):
            lead = services.register_lead(person, data, [store_attachment("запрос.pdf", SCAN)] if index % 4 == 0
                                          else [])
        leads.append(lead)
        decided = submitted + timedelta(days=1, hours=2)
        with frozen_time(decided):
            if script == "rejected":
                services.reject_lead(lead, manager, "Клиент уже покупает у производителя напрямую")
                continue
            if script == "submitted":
                continue
            services.qualify_lead(lead, manager)
        if script == "extension":
            services.request_extension(lead, person, "Клиент ждёт бюджет до конца квартала")
        elif script == "lost":
            with frozen_time(decided + timedelta(days=10)):
                services.close_lead(lead, manager, won=False, note="Выбрали другого поставщика")
        elif script == "won":
            products = by_category.get(category) or next(iter(by_category.values()))
            invoice_date = (decided + timedelta(days=5)).date()
            lines = [claims.LineData(p.sku, rng.randint(2, 6), p.list_price_kopecks)
                     for p in rng.sample(products, min(2, len(products)))]
            sale = claims.ClaimData(invoice_number=f"УПД-Л{index + 1:03d}", invoice_date=invoice_date,
                                    customer_name=customer, customer_inn=lead.customer_inn, lines=lines,
                                    lead_id=str(lead.id))
            moment = datetime.combine(invoice_date, time(11, 0)) + timedelta(days=1)
            with frozen_time(moment):
                claim = claims.save_draft(person, sale, scan=store_scan("счёт.pdf", unique_scan()))
                claims.submit_claim(claim, person)
            with frozen_time(moment + timedelta(days=1)):
                claims.approve_claim(claim, manager)
    # A protection that ran out: the job freed the customer.
    services.expire_protection(now)
    # Another partner registers a customer already held by a qualified lead: kept as a rejected conflict.
    if len(people) > 1:
        taken = leads[3]
        data = services.LeadData(
            customer_name=taken.customer_name.replace("ООО ", "") + " ООО", customer_inn=make_inn("780009999"),
            customer_kpp="", region=taken.region, contact_name="Лебедев Иван", contact_phone="+7 999 111-22-33",
            contact_email="ivan@example-mail.ru", need="Вентиляция", category="Вентиляция",
            estimated_kopecks=80_000_000, expected_close_date=None, channel_id=channels["Звонок"].id, comment="",
        )
        other = next((p for p in people if p.company_id != taken.company_id), None)
        if other is not None:
            with frozen_time(now - timedelta(days=1)):
                services.register_lead(other, data)
    db.session.flush()
