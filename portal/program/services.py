"""Reading and changing the program's settings."""

from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError
from portal.extensions import db
from portal.program.models import ProgramSettings


def get_settings() -> ProgramSettings:
    """The settings row, created with defaults the first time it is asked for."""
    settings = db.session.get(ProgramSettings, 1)
    if settings is None:
        settings = ProgramSettings(id=1)
        db.session.add(settings)
        db.session.flush()
    return settings


def update_settings(*, point_value_kopecks: int, points_expire_months: int | None,
                    claim_window_days: int | None = None, first_sale_bonus: int | None = None,
                    birthday_bonus: int | None = None) -> ProgramSettings:
    if point_value_kopecks is None or point_value_kopecks <= 0:
        raise DomainError(_l("The point value must be a positive amount."), field="point_value")
    if points_expire_months is not None and not 1 <= points_expire_months <= 120:
        raise DomainError(_l("Points expire after 1 to 120 months, or never."), field="points_expire_months")
    settings = get_settings()
    settings.point_value_kopecks = point_value_kopecks
    settings.points_expire_months = points_expire_months
    if claim_window_days is not None:
        if not 1 <= claim_window_days <= 366:
            raise DomainError(_l("The claim window is 1 to 366 days."), field="claim_window_days")
        settings.claim_window_days = claim_window_days
    for name, value in (("first_sale_bonus", first_sale_bonus), ("birthday_bonus", birthday_bonus)):
        if value is not None:
            if value < 0:
                raise DomainError(_l("A bonus cannot be negative."), field=name)
            setattr(settings, name, value)
    return settings
