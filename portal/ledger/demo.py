"""Demo points: a year and more of earnings, some prizes, a manual adjustment and a few expiries."""

from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import MANAGER, PARTNER_ROLES, User
from portal.core.time import frozen_time, utcnow
from portal.extensions import db
from portal.ledger import services as ledger

COURSES = ["Основы климатической техники", "Монтаж мульти-сплит систем", "Продажи инверторных систем"]


def load(rng) -> None:
    now = utcnow()
    manager = db.session.scalar(select(User).where(User.role == MANAGER))
    people = db.session.scalars(select(User).where(User.role.in_(PARTNER_ROLES)).order_by(User.id)).all()
    for person in people:
        demo_login = person.email in ("seller@demo.test", "installer@demo.test", "head@demo.test")
        if not demo_login and rng.random() < 0.35:
            continue  # not everyone is active
        start = max(person.created_at, now - timedelta(days=420))
        events = 14 if demo_login else rng.randint(1, 8)
        moments = sorted(start + timedelta(seconds=rng.randint(0, int((now - start).total_seconds())))
                         for _ in range(events))
        if demo_login:  # the demo logins get points that expire soon and points that expired already
            moments[0] = now - timedelta(days=400)
            moments[1] = now - timedelta(days=340)
        for n, moment in enumerate(moments):
            key = f"demo:{person.id}:{n}"
            with frozen_time(moment):
                roll = rng.random()
                if n == 0:
                    ledger.earn(person.id, 200, key=key, source_type="welcome", source_id=person.id)
                elif roll < 0.6:
                    invoice = f"{rng.choice(['СЧ', 'УПД', 'ТН'])}-{rng.randint(1000, 99999)}"
                    ledger.earn(person.id, rng.randrange(150, 3000, 10), key=key, source_type="sale",
                                source_id=n, params={"invoice": invoice})
                elif roll < 0.8:
                    ledger.earn(person.id, rng.choice([300, 500, 800]), key=key, source_type="course",
                                source_id=n, params={"title": rng.choice(COURSES)})
                else:
                    available = ledger.balance_of(person.id)
                    if available >= 500:
                        ledger.spend(person.id, rng.randrange(300, available + 1, 50) // 2 * 2, key=key,
                                     source_type="order", source_id=1000 + person.id * 20 + n)
        if demo_login and manager is not None:
            with frozen_time(now - timedelta(days=20)):
                ledger.adjust(person.id, 150, reason="Бонус за участие в выставке «Мир Климата»",
                              actor_id=manager.id, key=f"demo:{person.id}:adjustment")
    ledger.expire_due_points(now)
