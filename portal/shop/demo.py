"""Demo catalogue of about 30 prizes with pictures drawn here (no downloaded images), and orders in every state."""

import io
from datetime import timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from portal.auth.models import MANAGER, PARTNER_ROLES, User
from portal.core.errors import DomainError
from portal.core.inn import make_personal_inn
from portal.core.time import frozen_time, utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.payments.services import payment_for
from portal.shop import services
from portal.shop.images import store_image
from portal.shop.models import Prize, PrizeCategory

# Category, colour, prizes: (name, points, stock or None for unlimited, electronic, audience)
CATALOGUE = [
    ("Электроника", (46, 91, 168), [
        ("Беспроводные наушники", 6900, 12, False, None), ("Умная колонка", 5400, 8, False, None),
        ("Фитнес-браслет", 3900, 15, False, None), ("Внешний аккумулятор 20000 мА·ч", 2900, 25, False, None),
        ("Электронная книга", 11900, 4, False, None), ("Планшет 10\"", 24900, 2, False, None),
        ("Экшн-камера", 15900, 3, False, None),
    ]),
    ("Инструменты", (201, 111, 29), [
        ("Аккумуляторная дрель-шуруповёрт", 9900, 6, False, "specialist"),
        ("Набор манометров для хладагента", 14900, 5, False, "specialist"),
        ("Вакуумный насос", 19900, 3, False, "specialist"), ("Набор отвёрток", 1900, 30, False, None),
        ("Лазерный дальномер", 4900, 10, False, None), ("Термометр-пирометр", 2400, 14, False, "specialist"),
    ]),
    ("Для дома", (44, 140, 98), [
        ("Кофемашина капсульная", 8900, 5, False, None), ("Плед с логотипом", 1900, 40, False, None),
        ("Термокружка", 900, 60, False, None), ("Набор ножей", 4400, 9, False, None),
        ("Увлажнитель воздуха", 5900, 7, False, None), ("Настольная лампа", 2600, 11, False, None),
    ]),
    ("Подарочные сертификаты", (142, 68, 173), [
        ("Сертификат в книжный магазин, 1 000 ₽", 1000, None, True, None),
        ("Сертификат в книжный магазин, 3 000 ₽", 3000, None, True, None),
        ("Сертификат на такси, 2 000 ₽", 2000, None, True, None),
        ("Сертификат в спортивный магазин, 5 000 ₽", 5000, None, True, None),
        ("Сертификат на маркетплейс, 10 000 ₽", 10000, None, True, None),
    ]),
    ("Впечатления", (192, 57, 43), [
        ("Мастер-класс на заводе Nord", 7500, 10, False, None), ("Билеты в кино на двоих", 1600, 50, False, None),
        ("Ужин в ресторане на двоих", 6000, 6, False, None),
        ("Поездка на выставку «Мир Климата»", 18000, 4, False, None),
    ]),
]


def _font(size):
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
                 "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return None  # no Cyrillic font on this machine: the picture goes without its caption


def picture(name: str, colour: tuple[int, int, int], index: int) -> bytes:
    """A simple product card: a gradient, a shape per item, and the name when a Cyrillic font is there."""
    size = 640
    image = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(image)
    for y in range(size):
        shade = tuple(min(255, int(c + (255 - c) * y / size * 0.55)) for c in colour)
        draw.line([(0, y), (size, y)], fill=shade)
    centre, radius = size // 2, 150
    shapes = [
        lambda: draw.ellipse([centre - radius, 150, centre + radius, 150 + 2 * radius], fill="white"),
        lambda: draw.rounded_rectangle([centre - radius, 160, centre + radius, 440], radius=40, fill="white"),
        lambda: draw.polygon([(centre, 120), (centre + radius, 440), (centre - radius, 440)], fill="white"),
    ]
    shapes[index % len(shapes)]()
    draw.ellipse([centre - 50, 240, centre + 50, 340], fill=colour)
    font = _font(34)
    if font is not None:
        words, lines, line = name.split(), [], ""
        for word in words:
            if draw.textlength(f"{line} {word}".strip(), font=font) > size - 60:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(line)
        for n, text in enumerate(lines[:2]):
            draw.text((30, 480 + n * 44), text, font=font, fill="white")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def load(rng) -> None:
    index = 0
    prizes = []
    for position, (category_name, colour, items) in enumerate(CATALOGUE):
        category = PrizeCategory(name=category_name, position=position)
        db.session.add(category)
        db.session.flush()
        for name, points, stock, electronic, audience in items:
            image, thumb = store_image(picture(name, colour, index))
            prize = Prize(category_id=category.id, name=name, price_points=points, stock=stock,
                          electronic=electronic, audience=audience, image_path=image, thumb_path=thumb,
                          description="Приз программы «Партнёрский клуб». Доставка по России за счёт программы.")
            db.session.add(prize)
            prizes.append(prize)
            index += 1
    db.session.flush()

    manager = db.session.scalar(select(User).where(User.role == MANAGER))
    buyers = db.session.scalars(
        select(User).where(User.email.in_(["seller@demo.test", "installer@demo.test"])).order_by(User.id)
    ).all() + db.session.scalars(
        select(User).where(User.role.in_(PARTNER_ROLES), User.email.like("user%")).order_by(User.id).limit(40)
    ).all()
    delivery = services.Delivery("г. Москва, ул. Садовая, д. 10, кв. 4", "+79161234567", "")
    now = utcnow()
    plan = ["delivered", "delivered", "shipped", "approved", "placed", "cancelled"]
    for n, person in enumerate(buyers):
        affordable = [p for p in prizes if not p.electronic and services.available_to(person, p)
                      and p.price_points <= ledger.balance_of(person.id) and (p.stock or 0) > 1]
        if not affordable:
            continue
        prize = rng.choice(affordable)
        with frozen_time(now - timedelta(days=rng.randint(2, 60))):
            services.add_to_cart(person, prize, 1)
            if services.summary(person).needs_tax_details:
                services.save_tax_profile(person, personal_inn=make_personal_inn(f"77{person.id:08d}"),
                                          passport=f"45{rng.randint(10, 99)}{rng.randint(100000, 999999)}",
                                          registration_address="г. Москва, ул. Садовая, д. 10, кв. 4")
            order = services.place_order(person, request_token=f"demo-{person.id}", delivery=delivery)
            state = plan[n % len(plan)]
            if manager is not None and state in ("approved", "shipped", "delivered"):
                services.approve_order(order, manager)
            if manager is not None and state in ("shipped", "delivered"):
                services.ship_order(order, manager, f"RU{rng.randint(100000000, 999999999)}")
            if manager is not None and state == "delivered":
                services.deliver_order(order, manager)
            if state == "cancelled":
                services.cancel_order(order, person)
    _card_orders(prizes, buyers[-6:], delivery)
    db.session.flush()


def _card_orders(prizes, people, delivery) -> None:
    """Two orders where points fell short: one still awaiting the card payment, one paid by card through
    the local Stripe emulator when `make run` has started it (skipped otherwise)."""
    import json
    import urllib.request

    from flask import current_app

    waiting = []
    for person in people:
        balance = ledger.balance_of(person.id)
        prize = next((p for p in prizes if not p.electronic and services.available_to(person, p)
                      and balance < p.price_points <= balance * 2 and (p.stock or 0) > 1), None)
        if prize is None or balance == 0:
            continue
        services.add_to_cart(person, prize, 1)
        if services.summary(person).needs_tax_details:
            services.save_tax_profile(person, personal_inn=make_personal_inn(f"78{person.id:08d}"),
                                      passport="4512 654321", registration_address="г. Москва, ул. Садовая, д. 10")
        waiting.append(services.place_order(person, request_token=f"demo-card-{person.id}", delivery=delivery,
                                            pay_rest_by_card=True))
        if len(waiting) == 2:
            break
    base = current_app.config["STRIPE_API_BASE"]
    if len(waiting) < 2 or not base:
        return
    order = waiting[1]
    try:
        body = json.dumps({"key": "pk_test_local", "card": {"number": "4242424242424242", "exp_month": "12",
                                                             "exp_year": "2030", "cvc": "123"}}).encode()
        request = urllib.request.Request(f"{base}/v1/tokens", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            token = json.load(response)["id"]
        if services.pay_order(order, order.user, token) == "succeeded":
            # The emulator's webhook would reach a running portal; while the demo loads, apply it here.
            services.payment_succeeded(payment_for(order.id).intent_id)
    except (OSError, DomainError):  # the emulator is not running: the demo goes without a paid card order
        return
