"""Program-wide settings: one row, edited by the program's administrators."""

from sqlalchemy import CheckConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class ProgramSettings(db.Model):
    __tablename__ = "program_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("point_value_kopecks > 0", name="point_value_positive"),
        CheckConstraint("points_expire_months IS NULL OR points_expire_months > 0", name="expiry_positive"),
        CheckConstraint("claim_window_days > 0", name="claim_window_positive"),
        CheckConstraint("first_sale_bonus >= 0 AND birthday_bonus >= 0", name="bonuses_not_negative"),
        CheckConstraint("tax_rate_percent BETWEEN 0 AND 100", name="tax_rate_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    # What one point is worth to the program, in kopecks: the liability and prize values follow from it.
    point_value_kopecks: Mapped[int] = mapped_column(default=100)
    # Earned points expire this many months after they were earned; NULL means never.
    points_expire_months: Mapped[int | None] = mapped_column(default=12)
    # A sale may be claimed up to this many days after its invoice date.
    claim_window_days: Mapped[int] = mapped_column(default=60, server_default="60")
    # Event bonuses, in points; 0 turns one off.
    first_sale_bonus: Mapped[int] = mapped_column(default=500, server_default="500")
    birthday_bonus: Mapped[int] = mapped_column(default=300, server_default="300")
    # Card co-payment in the shop when points fall short: on/off and the largest share of an order's value.
    copay_enabled: Mapped[bool] = mapped_column(default=True, server_default="1")
    copay_max_share_percent: Mapped[int] = mapped_column(default=50, server_default="50")
    payment_timeout_minutes: Mapped[int] = mapped_column(default=30, server_default="30")
    # Prize tax: prizes above this yearly total are taxable income; the program is the tax agent.
    tax_threshold_kopecks: Mapped[int] = mapped_column(default=400_000, server_default="400000")
    tax_rate_percent: Mapped[int] = mapped_column(default=13, server_default="13")
    tax_details_required: Mapped[bool] = mapped_column(default=True, server_default="1")
