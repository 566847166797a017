"""Demo catalogue, earning rules and sales claims in every state."""

import itertools
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.auth.models import MANAGER, PARTICIPANT, User
from portal.claims import services
from portal.claims.scans import store_scan
from portal.core.time import frozen_time, today
from portal.extensions import db
from portal.products.demo import NAMES_EN
from portal.products.models import Product
from portal.rules.models import EarningRule

# SKU, name, category, price RUB, cost RUB
CATALOGUE = [
    ("AC-S07", "Сплит-система Nord 07 (20 м²)", "Сплит-системы", 32_900, 25_100),
    ("AC-S09", "Сплит-система Nord 09 (25 м²)", "Сплит-системы", 36_500, 27_800),
    ("AC-S12", "Сплит-система Nord 12 (35 м²)", "Сплит-системы", 45_900, 34_600),
    ("AC-S18", "Сплит-система Nord 18 (50 м²)", "Сплит-системы", 68_400, 51_900),
    ("AC-S24", "Сплит-система Nord 24 (70 м²)", "Сплит-системы", 89_900, 68_000),
    ("AC-I09", "Инверторная сплит-система Arctic 09", "Сплит-системы", 48_700, 35_900),
    ("AC-I12", "Инверторная сплит-система Arctic 12", "Сплит-системы", 56_300, 41_200),
    ("MS-O14", "Наружный блок мульти-сплит на 2 комнаты", "Мульти-сплит", 78_200, 59_400),
    ("MS-O21", "Наружный блок мульти-сплит на 3 комнаты", "Мульти-сплит", 104_500, 78_800),
    ("MS-W07", "Настенный внутренний блок мульти-сплит 07", "Мульти-сплит", 18_900, 13_700),
    ("MS-W09", "Настенный внутренний блок мульти-сплит 09", "Мульти-сплит", 20_400, 14_900),
    ("MS-C12", "Кассетный внутренний блок мульти-сплит 12", "Мульти-сплит", 39_800, 29_300),
    ("VRF-O28", "Наружный блок VRF 28 кВт", "VRF-системы", 612_000, 470_000),
    ("VRF-O45", "Наружный блок VRF 45 кВт", "VRF-системы", 938_000, 716_000),
    ("VRF-D28", "Канальный внутренний блок VRF 2,8 кВт", "VRF-системы", 41_600, 30_100),
    ("VRF-C36", "Кассетный внутренний блок VRF 3,6 кВт", "VRF-системы", 58_900, 43_800),
    ("VNT-350", "Приточно-вытяжная установка с рекуперацией 350 м³/ч", "Вентиляция", 164_000, 121_000),
    ("VNT-650", "Приточно-вытяжная установка с рекуперацией 650 м³/ч", "Вентиляция", 248_000, 182_000),
    ("VNT-BRZ", "Бризер с фильтром H13", "Вентиляция", 27_900, 19_400),
    ("CTL-WF", "Wi-Fi модуль управления", "Автоматика", 4_900, 2_600),
    ("CTL-CTR", "Центральный пульт VRF", "Автоматика", 38_700, 24_900),
    ("INS-CU14", "Медная труба 1/4\" (бухта 15 м)", "Монтажные материалы", 6_400, 5_100),
    ("INS-CU38", "Медная труба 3/8\" (бухта 15 м)", "Монтажные материалы", 8_900, 7_200),
    ("INS-BRK", "Кронштейн для наружного блока", "Монтажные материалы", 1_900, 1_100),
    ("INS-PMP", "Дренажный насос", "Монтажные материалы", 5_600, 3_900),
]

RULES = [
    dict(name="Баллы за сплит-системы", kind="per_unit", value=Decimal(300), categories=["Сплит-системы"],
         priority=100, stackable=True),
    dict(name="5% от маржи на всё оборудование", kind="margin_pct", value=Decimal(5), priority=90, stackable=True,
         categories=["Сплит-системы", "Мульти-сплит", "VRF-системы", "Вентиляция", "Автоматика"],
         cap_per_period=60_000, cap_period="month"),
    dict(name="VRF: 2% от выручки", kind="revenue_pct", value=Decimal(2), categories=["VRF-системы"],
         priority=120, stackable=False),
    dict(name="Двойные баллы на мульти-сплит", kind="multiplier", value=Decimal(2), categories=["Мульти-сплит"],
         priority=200, stackable=True),
    dict(name="Бонус за каждую одобренную заявку", kind="fixed_per_claim", value=Decimal(50), priority=10,
         stackable=True, cap_per_period=1_000, cap_period="month"),
]

CUSTOMERS = ["ООО «Гранд Отель»", "ИП Сидоров А. В.", "ООО «Бизнес-центр Восток»", "АО «Медицинский центр»",
             "ООО «Кофейня на Садовой»", "ТСЖ «Солнечный»", "ООО «Склад-Логистик»", "Школа № 17"]

# A minimal one-page PDF: what a scanned invoice is to the portal (it checks the file by its content).
SCAN = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

_scan_numbers = itertools.count(1)


def unique_scan() -> bytes:
    """The demo invoice as a file of its own (a comment after its end): one file on two sales is a fraud signal."""
    return SCAN + f"% {next(_scan_numbers)}\n".encode()


def load(rng) -> None:
    manager = db.session.scalar(select(User).where(User.role == MANAGER))
    products = []
    for sku, name, category, price, cost in CATALOGUE:
        product = Product(sku=sku, name=name, category=category, list_price_kopecks=price * 100,
                          cost_kopecks=cost * 100, active=True, name_en=NAMES_EN.get(sku))
        db.session.add(product)
        products.append(product)
    db.session.add(Product(sku="AC-S07-OLD", name="Сплит-система Nord 07 (снята с производства)",
                           category="Сплит-системы", list_price_kopecks=2_990_000, cost_kopecks=2_300_000,
                           active=False, name_en=NAMES_EN["AC-S07-OLD"]))
    for values in RULES:
        db.session.add(EarningRule(created_by_id=manager.id if manager else None, **values))
    db.session.flush()

    sellers = db.session.scalars(
        select(User).where(User.email.in_(["seller@demo.test", "installer@demo.test"])).order_by(User.id)
    ).all()
    others = db.session.scalars(
        select(User).join(User.company).where(User.role == PARTICIPANT, User.email.like("user%"))
        .where(User.company.has(status="approved")).order_by(User.id).limit(14)
    ).all()

    def make_claim(person, days_ago, number=None, lines=None):
        invoice_date = today() - timedelta(days=days_ago)
        chosen = lines or [
            (p, rng.randint(1, 4)) for p in rng.sample(products, rng.randint(1, 3))
        ]
        data = services.ClaimData(
            invoice_number=number or f"{rng.choice(['СЧ', 'УПД'])}-{rng.randint(100, 9999)}",
            invoice_date=invoice_date, customer_name=rng.choice(CUSTOMERS), customer_inn="",
            lines=[services.LineData(p.sku, qty, int(p.list_price_kopecks * rng.uniform(0.9, 1.0)) // 100 * 100)
                   for p, qty in chosen],
        )
        moment = datetime.combine(invoice_date, time(10, 30)) + timedelta(days=1)
        with frozen_time(moment):
            claim = services.save_draft(person, data, scan=store_scan("счёт.pdf", unique_scan()))
        return claim, moment

    def submit(claim, moment):
        with frozen_time(moment):
            services.submit_claim(claim, claim.user)

    def decide(claim, moment, what, reason=""):
        if manager is None:
            return
        with frozen_time(moment + timedelta(days=2)):
            if what in ("approve", "reverse"):
                services.approve_claim(claim, manager)
            elif what == "reject":
                services.reject_claim(claim, manager, reason)
        if what == "reverse":
            with frozen_time(moment + timedelta(days=5)):
                services.reverse_claim(claim, manager, "Возврат товара покупателем")

    for person in sellers:
        script = [(40, "approve"), (30, "approve"), (21, "reverse"), (14, "reject"), (6, "approve"),
                  (3, "submitted"), (1, "submitted"), (0, "draft")]
        for days_ago, what in script:
            claim, moment = make_claim(person, days_ago)
            if what == "draft":
                continue
            submit(claim, moment)
            if what != "submitted":
                decide(claim, moment, what, "Строки не совпадают со счётом. Цена в счёте ниже указанной.")
    for index, person in enumerate(others):
        claim, moment = make_claim(person, rng.randint(1, 20))
        submit(claim, moment)
        if index % 3 == 0:
            decide(claim, moment, "approve")
    # One invoice claimed twice, by people of two companies: the queue flags both.
    if len(others) >= 2:
        twin_lines = [(products[2], 2), (products[21], 3)]
        for person in others[:2]:
            claim, moment = make_claim(person, 4, number="УПД-7781", lines=twin_lines)
            claim.seller_inn = others[0].company.inn
            claim.invoice_date = today() - timedelta(days=4)
            submit(claim, moment)
    db.session.flush()
