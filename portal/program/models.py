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
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    # What one point is worth to the program, in kopecks: the liability and prize values follow from it.
    point_value_kopecks: Mapped[int] = mapped_column(default=100)
    # Earned points expire this many months after they were earned; NULL means never.
    points_expire_months: Mapped[int | None] = mapped_column(default=12)
