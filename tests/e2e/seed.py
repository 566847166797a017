"""Data a journey starts from, written the way the product writes it (every journey ends with `portal check`)."""

from sqlalchemy import select

from portal.auth.models import MANAGER, User
from portal.extensions import db
from portal.ledger import services as ledger
from tests import factories


def starting_points(person_id: int, points: int, *, reason: str = "Стартовые баллы участника",
                    key: str | None = None) -> None:
    """Points a participant has before the journey: the program's own way to credit points without a sale or a
    course is a manager's adjustment with its reason (a ledger credit from a made-up source fails the checks).
    Runs in the caller's app context; the caller commits."""
    manager_id = db.session.scalar(select(User.id).where(User.role == MANAGER).order_by(User.id).limit(1))
    if manager_id is None:
        manager_id = factories.manager(email="program-team@example.test", full_name="Команда программы").id
    ledger.adjust(person_id, points, reason=reason, actor_id=manager_id, key=key or f"start:{person_id}")
