"""Prize tax: a participant's yearly prize total, their tax details and the program's tax register."""


from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.auth.models import User
from portal.core.errors import DomainError
from portal.core.inn import is_valid_inn, normalize_inn
from portal.core.sql import lower_text
from portal.core.time import in_local_year
from portal.extensions import db
from portal.program.services import get_settings
from portal.shop.models import (
    CANCELLED,
    Order,
    TaxProfile,
)


def yearly_prize_total(user_id: int, year: int) -> int:
    """The value of the prizes a person received (ordered, not cancelled) in a calendar year, in kopecks: what the
    program paid for, so without any part the person paid by card."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(Order.prize_value_kopecks), 0)).where(
            Order.user_id == user_id, Order.status != CANCELLED, in_local_year(Order.created_at, year))
    ))


def save_tax_profile(user: User, *, personal_inn: str, passport: str, registration_address: str) -> TaxProfile:
    inn = normalize_inn(personal_inn)
    if len(inn) != 12 or not is_valid_inn(inn):
        raise DomainError(_l("Enter your personal INN: 12 digits with correct check digits."), field="personal_inn")
    digits = "".join(ch for ch in passport or "" if ch.isdigit())
    if len(digits) != 10:
        raise DomainError(_l("Enter the passport series and number: 10 digits."), field="passport")
    if len(" ".join((registration_address or "").split())) < 10:
        raise DomainError(_l("Enter the registration address."), field="registration_address")
    profile = db.session.get(TaxProfile, user.id) or TaxProfile(user_id=user.id)
    profile.personal_inn = inn
    profile.passport = f"{digits[:4]} {digits[4:]}"
    profile.registration_address = " ".join(registration_address.split())
    db.session.add(profile)
    db.session.flush()
    return profile


def tax_register_query(year: int, q: str = ""):
    """Participants with prizes in the year, by name: the register's rows, to page through."""
    query = (select(User).join(Order, Order.user_id == User.id)
             .where(Order.status != CANCELLED, in_local_year(Order.created_at, year))
             .group_by(User.id).order_by(User.full_name, User.id))
    if q.strip():
        query = query.where(lower_text(User.full_name).like(f"%{q.strip().lower()}%"))
    return query


def tax_register(year: int, users: list[User] | None = None) -> list[dict]:
    """Per participant: the year's prize total, what is above the threshold, and the tax at the program's rate.
    For the given participants (a page of the register), or for everyone."""
    settings = get_settings()
    query = (select(User, func.sum(Order.prize_value_kopecks)).join(Order, Order.user_id == User.id)
             .where(Order.status != CANCELLED, in_local_year(Order.created_at, year))
             .group_by(User.id).order_by(User.full_name, User.id))
    if users is not None:
        query = query.where(User.id.in_([u.id for u in users]))
    rows = db.session.execute(query).all()
    profiles = {p.user_id: p for p in db.session.scalars(
        select(TaxProfile).where(TaxProfile.user_id.in_([user.id for user, _ in rows])))}
    register = []
    for user, total in rows:
        total = int(total)
        excess = max(0, total - settings.tax_threshold_kopecks)
        register.append({"user": user, "total": total, "excess": excess,
                         "tax": excess * settings.tax_rate_percent // 100, "profile": profiles.get(user.id)})
    return register
