"""Demo points: more than a year of earnings, prizes, a manual adjustment, expiries and points about to expire."""

from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import MANAGER, PARTNER_ROLES, User
from portal.core.time import frozen_time, utcnow
from portal.extensions import db
from portal.ledger import services as ledger

COURSES = ["Основы климатической техники", "Монтаж мульти-сплит систем", "Продажи инверторных систем"]
DEMO_LOGINS = ("seller@demo.test", "installer@demo.test", "head@demo.test")
REASONS = {"welcome": "Приветственный бонус участнику программы",
           "sale": "Продажа по счёту {invoice}, перенесённая из прежней программы"}


def _invoice(rng) -> str:
    return f"{rng.choice(['СЧ', 'УПД', 'ТН'])}-{rng.randint(1000, 99999)}"


def _history(rng, person, now) -> list[tuple]:
    """(moment, what, points, params) of one person's activity."""
    if person.email in DEMO_LOGINS:
        # Scripted, so the demo shows every case: expired points, points expiring soon, spending, a bonus.
        events = [
            (now - timedelta(days=400), "welcome", 200, {}),
            (now - timedelta(days=390), "course", 500, {"title": COURSES[0]}),
            (now - timedelta(days=340), "sale", 3000, {"invoice": _invoice(rng)}),
        ]
        for days in sorted(rng.sample(range(30, 300), 7), reverse=True):
            points = rng.randrange(300, 2500, 10)
            events.append((now - timedelta(days=days), "sale", points, {"invoice": _invoice(rng)}))
        events.append((now - timedelta(days=25), "course", 800, {"title": COURSES[2]}))
        events.append((now - timedelta(days=20), "adjustment", 150, {}))
        events.append((now - timedelta(days=12), "order", 1000, {}))
        events.append((now - timedelta(days=3), "order", 600, {}))
        # Working hours, not all at the same minute.
        return [(moment.replace(hour=rng.randint(6, 15), minute=rng.randint(0, 59)), *rest) for moment, *rest in events]
    start = max(person.created_at, now - timedelta(days=500))
    span = int((now - start).total_seconds())
    moments = sorted(start + timedelta(seconds=rng.randint(0, span)) for _ in range(rng.randint(1, 8)))
    events = [(moments[0], "welcome", 200, {})]
    for moment in moments[1:]:
        roll = rng.random()
        if roll < 0.6:
            events.append((moment, "sale", rng.randrange(150, 3000, 10), {"invoice": _invoice(rng)}))
        elif roll < 0.8:
            events.append((moment, "course", rng.choice([300, 500, 800]), {"title": rng.choice(COURSES)}))
        else:
            events.append((moment, "order", rng.randrange(300, 2000, 50), {}))
    return events


def load(rng) -> None:
    """Every active person's history, posted in time order across people (as the portal would have posted it:
    entries in the order of their moments, the nightly expiry run as each moment arrives)."""
    now = utcnow()
    manager = db.session.scalar(select(User).where(User.role == MANAGER))
    people = db.session.scalars(select(User).where(User.role.in_(PARTNER_ROLES)).order_by(User.id)).all()
    events = []
    for person in people:
        if person.email not in DEMO_LOGINS and rng.random() < 0.35:
            continue  # not everyone is active
        for n, (moment, what, points, params) in enumerate(_history(rng, person, now)):
            events.append((moment, person.id, n, what, points, params))
    for moment, person_id, n, what, points, params in sorted(events, key=lambda event: event[:3]):
        key = f"demo:{person_id}:{n}"
        with frozen_time(moment):
            ledger.expire_due_points(moment)  # as the nightly job would have
            if what == "adjustment" and manager is not None:
                ledger.adjust(person_id, points, reason="Бонус за участие в выставке «Мир Климата»",
                              actor_id=manager.id, key=key)
            elif what == "order":
                if ledger.balance_of(person_id) >= points:
                    ledger.spend(person_id, points, key=key, source_type="order", source_id=1000 + person_id * 20 + n)
            elif what == "course":
                continue  # a course pays when it is passed, through training's service (training/demo.py)
            elif manager is not None:
                # No claim or rule of the portal stands behind these: a manager's credit with its reason does.
                reason = (REASONS["welcome"] if what == "welcome"
                          else REASONS["sale"].format(invoice=params["invoice"]))
                ledger.adjust(person_id, points, reason=reason, actor_id=manager.id, key=key)
    ledger.expire_due_points(now)
