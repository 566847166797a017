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


def update_settings(*, point_value_kopecks: int, points_expire_months: int | None) -> ProgramSettings:
    if point_value_kopecks is None or point_value_kopecks <= 0:
        raise DomainError(_l("The point value must be a positive amount."), field="point_value")
    if points_expire_months is not None and not 1 <= points_expire_months <= 120:
        raise DomainError(_l("Points expire after 1 to 120 months, or never."), field="points_expire_months")
    settings = get_settings()
    settings.point_value_kopecks = point_value_kopecks
    settings.points_expire_months = points_expire_months
    return settings
