"""The products the program rewards: price and cost, so that margin can be rewarded."""

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.localized import in_locale
from portal.core.time import utcnow
from portal.extensions import db


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("list_price_kopecks >= 0", name="price_not_negative"),
        CheckConstraint("cost_kopecks >= 0", name="cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str | None] = mapped_column(String(200))  # optional English name
    category: Mapped[str] = mapped_column(String(100), index=True)
    list_price_kopecks: Mapped[int]
    cost_kopecks: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def display_name(self) -> str:
        """The English name for English readers when there is one, else the Russian name."""
        return in_locale(self.name, self.name_en)

    @property
    def margin_kopecks(self) -> int:
        return self.list_price_kopecks - self.cost_kopecks
