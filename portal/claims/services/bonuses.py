"""Points that come with the calendar rather than a sale: the birthday bonus."""

from sqlalchemy import String, cast, extract, literal, select

from portal.auth.models import PARTNER_ROLES, User
from portal.core.time import local_date, utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.models import LedgerTransaction
from portal.program.services import get_settings


def birthday_bonuses(now=None) -> int:
    """The birthday job: today's birthdays get the bonus once a year (29 February counts on 28 in other years)."""
    import calendar

    day = local_date(now or utcnow())  # birthdays are days of the program's calendar
    bonus = get_settings().birthday_bonus
    if bonus <= 0:
        return 0
    days = [day.day] + ([29] if day.month == 2 and day.day == 28 and not calendar.isleap(day.year) else [])
    # Only those still due, in one query: today's birthdays without this year's bonus (its idempotency key).
    key = literal("birthday:") + cast(User.id, String) + literal(f":{day.year}")
    due = db.session.scalars(
        select(User.id).where(
            User.role.in_(PARTNER_ROLES), User.active.is_(True),
            extract("month", User.birthday) == day.month, extract("day", User.birthday).in_(days),
            ~select(LedgerTransaction.id).where(LedgerTransaction.idempotency_key == key).exists(),
        ).order_by(User.id)
    ).all()
    for person_id in due:
        ledger.earn(person_id, bonus, key=f"birthday:{person_id}:{day.year}", source_type="birthday",
                    source_id=person_id)
        db.session.commit()
    return len(due)
