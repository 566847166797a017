"""The participant's cart: adding prizes, changing quantities."""


from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.models import PARTNER_ROLES, User
from portal.core.errors import DomainError, NotAllowed
from portal.core.sql import insert_or_add
from portal.extensions import db
from portal.shop.models import (
    CartItem,
    Prize,
)
from portal.shop.services.catalogue import available_to


def cart_of(user: User) -> list[CartItem]:
    return list(db.session.scalars(select(CartItem).where(CartItem.user_id == user.id).order_by(CartItem.id)))


def add_to_cart(user: User, prize: Prize, quantity: int = 1) -> None:
    if user.role not in PARTNER_ROLES:
        raise NotAllowed(_l("Only participants order prizes."))
    if not available_to(user, prize):
        raise DomainError(_l("This prize is not available to you."))
    if quantity < 1 or quantity > 100:
        raise DomainError(_l("Choose a quantity from 1 to 100."), field="quantity")
    if prize.stock is not None and quantity > prize.stock:
        raise DomainError(_l("Only %(n)s left in stock.", n=prize.stock), field="quantity")
    # One statement inserts the line or adds to it: the same prize added from two tabs at once makes one line
    # holding both quantities. Over the stock, the savepoint takes the addition back.
    with db.session.begin_nested():
        wanted = insert_or_add(CartItem, {"user_id": user.id, "prize_id": prize.id, "quantity": quantity},
                               ["user_id", "prize_id"], "quantity")
        if prize.stock is not None and wanted > prize.stock:
            raise DomainError(_l("Only %(n)s left in stock.", n=prize.stock), field="quantity")
    _forget_cart_lines(user)


def _forget_cart_lines(user: User) -> None:
    """Cart lines loaded before a statement changed them behind the session's back are read again."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, CartItem) and obj.user_id == user.id:
            db.session.expire(obj)


def set_quantity(user: User, item: CartItem, quantity: int) -> None:
    if item.user_id != user.id:
        raise NotAllowed(_l("This is not your cart."))
    if quantity <= 0:
        db.session.delete(item)
    elif item.prize.stock is not None and quantity > item.prize.stock:
        raise DomainError(_l("Only %(n)s left in stock.", n=item.prize.stock), field="quantity")
    else:
        item.quantity = quantity
    db.session.flush()
