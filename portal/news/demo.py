"""Demo news: a pinned announcement everyone must read, a news item for specialists, one scheduled for next week."""

from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import MANAGER, User
from portal.core.time import frozen_time, utcnow
from portal.extensions import db

from . import services


def load(rng) -> None:
    manager = db.session.scalar(select(User).where(User.role == MANAGER).order_by(User.id))
    if manager is None:
        return
    now = utcnow()
    with frozen_time(now - timedelta(days=3)):
        services.save_news(None, services.NewsData(
            title="Новые правила начисления баллов с 1-го числа",
            title_en="New earning rules from the 1st",
            body="<p>С первого числа за продажу <strong>инверторных сплит-систем</strong> начисляется на 20% больше "
                 "баллов. Подробности — в <a href=\"/rules\">правилах программы</a>.</p>",
            body_en="<p>From the 1st, sales of <strong>inverter split systems</strong> earn 20% more points. "
                    "See the <a href=\"/rules\">program rules</a>.</p>",
            pinned=True, must_read=True), manager)
    with frozen_time(now - timedelta(days=1)):
        services.save_news(None, services.NewsData(
            title="Вебинар по монтажу VRF-систем", title_en="Webinar: installing VRF systems",
            body="<p>В четверг в 11:00 — вебинар для монтажников и проектировщиков.</p>",
            body_en="<p>Thursday at 11:00: a webinar for installers and designers.</p>",
            target="audiences", target_values=["specialist"]), manager)
    services.save_news(None, services.NewsData(
        title="Итоги квартала", body="<p>Скоро подведём итоги квартала.</p>",
        publish_at=now + timedelta(days=7)), manager)
    db.session.flush()
