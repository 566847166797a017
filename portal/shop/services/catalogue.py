"""The prize catalogue: what a participant may see and buy, a prize's value for tax, the console's prize list
and prize form."""


from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal.auth.models import PARTNER_ROLES, STAFF_ROLES, User
from portal.core.errors import DomainError
from portal.core.formatting import money_input
from portal.core.sql import lower_text
from portal.extensions import db
from portal.ledger import services as ledger
from portal.program.services import get_settings
from portal.shop.images import store_image
from portal.shop.models import (
    Prize,
    PrizeCategory,
    StockMovement,
)
from portal.shop.services.orders import _require_staff


def available_to(user: User, prize: Prize) -> bool:
    return prize.active and (prize.audience is None or user.role in STAFF_ROLES or prize.audience == user.audience)


def catalogue(user: User, *, q: str = "", category_id: int | None = None, max_points: int | None = None,
              affordable: bool = False, sort: str = "popular"):

    query = select(Prize).where(Prize.active.is_(True))
    if user.role in PARTNER_ROLES:
        query = query.where(or_(Prize.audience.is_(None), Prize.audience == user.audience))
    if q.strip():
        query = query.where(lower_text(Prize.name).like(f"%{q.strip().lower()}%"))
    if category_id:
        query = query.where(Prize.category_id == category_id)
    if max_points:
        query = query.where(Prize.price_points <= max_points)
    if affordable:
        query = query.where(Prize.price_points <= ledger.balance_of(user.id))
    order = {"cheap": (Prize.price_points.asc(),), "expensive": (Prize.price_points.desc(),),
             "new": (Prize.created_at.desc(),)}.get(sort, (Prize.category_id, Prize.price_points))
    return query.order_by(*order, Prize.id)


def prize_value(prize: Prize, point_value_kopecks: int | None = None) -> int:
    """The prize's value in kopecks for tax: its own value when set, else its price at the point value (the
    program's, unless the caller has read it already)."""
    if prize.value_kopecks is not None:
        return prize.value_kopecks
    return prize.price_points * (point_value_kopecks or get_settings().point_value_kopecks)


def prizes_query(q: str = "", category_id: int | None = None):
    """The console's prize list: search by name (Russian or English), optionally one category."""
    query = select(Prize).options(selectinload(Prize.category)).order_by(Prize.category_id, Prize.name, Prize.id)
    if q.strip():
        needle = f"%{q.strip().lower()}%"
        query = query.where(or_(lower_text(Prize.name).like(needle), lower_text(Prize.name_en).like(needle)))
    if category_id:
        query = query.where(Prize.category_id == category_id)
    return query


def prize_categories() -> list[PrizeCategory]:
    return list(db.session.scalars(select(PrizeCategory).order_by(PrizeCategory.position, PrizeCategory.name)))


def prize_form_data(prize: Prize) -> dict:
    """What the console's prize form shows for a prize: its fields as typed (the category by name, the value in
    roubles the Russian way, "" for everyone)."""
    return {"name": prize.name, "category": prize.category.name, "description": prize.description,
            "name_en": prize.name_en, "category_en": prize.category.name_en or "",
            "description_en": prize.description_en, "price_points": prize.price_points,
            "value": money_input(prize.value_kopecks) if prize.value_kopecks else "",
            "stock": prize.stock, "electronic": prize.electronic, "audience": prize.audience or "",
            "active": prize.active}


def stock_movements_query(prize: Prize):
    """The prize's stock movements, newest first."""
    return select(StockMovement).where(StockMovement.prize_id == prize.id).order_by(StockMovement.id.desc())


def save_prize(prize: Prize | None, *, name: str, category: str, description: str, price_points: int,
               value_kopecks: int | None, stock: int | None, electronic: bool, audience: str | None, active: bool,
               images: tuple[str, str] | None, actor: User, name_en: str | None = None,
               description_en: str | None = None, category_en: str | None = None,
               photo: bytes | None = None) -> Prize:
    """Create or change a prize; `photo` (the uploaded file's bytes) is stored with its thumbnail and replaces
    `images`. A stock change is recorded as a stock movement."""
    _require_staff(actor)
    if not (name or "").strip():
        raise DomainError(_l("Enter the prize name."), field="name")
    if not price_points or price_points <= 0:
        raise DomainError(_l("The price must be positive."), field="price_points")
    category_name = " ".join((category or "").split())
    found = db.session.scalar(select(PrizeCategory).where(PrizeCategory.name == category_name))
    if found is None:
        found = PrizeCategory(name=category_name)
        db.session.add(found)
        db.session.flush()
    if (category_en or "").strip():
        found.name_en = " ".join(category_en.split())
    if prize is None:
        prize = Prize(stock=None)
        db.session.add(prize)
        previous_stock = None
    else:
        previous_stock = prize.stock
    prize.name = " ".join(name.split())
    prize.category_id = found.id
    prize.description = description.strip()
    prize.name_en = " ".join((name_en or "").split()) or None
    prize.description_en = (description_en or "").strip() or None
    prize.price_points = price_points
    prize.value_kopecks = value_kopecks
    prize.electronic = electronic
    prize.audience = audience
    prize.active = active
    if photo is not None:
        images = store_image(photo)
    if images is not None:
        prize.image_path, prize.thumb_path = images
    db.session.flush()
    if stock != previous_stock:
        # Stock changes from the form are recorded like any other movement.
        delta = (stock or 0) - (previous_stock or 0)
        prize.stock = stock
        if stock is not None and delta:
            db.session.add(StockMovement(prize_id=prize.id, delta=delta, reason="prize form", actor_id=actor.id))
    db.session.flush()
    return prize
