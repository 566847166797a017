"""Demo notifications and mail settings: the participants find a bell with news and a page to read it on."""

from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import User
from portal.core.time import frozen_time, local_date, utcnow
from portal.extensions import db

from . import mailing, services
from .links import link_to


def load(rng) -> None:
    seller = db.session.scalar(select(User).where(User.email == "seller@demo.test"))
    installer = db.session.scalar(select(User).where(User.email == "installer@demo.test"))
    now = utcnow()
    for person in (p for p in (seller, installer) if p is not None):
        with frozen_time(now - timedelta(days=2)):
            services.notify(person, "contest_started", {"title": "Весенний спринт"}, link_to("contests.index"))
        with frozen_time(now - timedelta(days=1)):
            read = services.notify(person, "order_updated", {"id": rng.randint(1, 9), "status": "shipped"},
                                   link_to("shop.orders"))
            services.mark_read(person.id, read.id)
        services.notify(person, "points_expiring", {"points": 1500, "date": local_date(now + timedelta(days=25))
                                                    .isoformat()}, link_to("shop.index"))
    if installer is not None:  # a participant who chose the weekly digest and agreed to news
        mailing.save_preferences(installer, {"decisions": True, "contests": True, "news": True, "reminders": True,
                                             "reports": False}, digest=True, marketing=True)
    db.session.flush()
