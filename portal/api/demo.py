"""Demo API keys: the partner admin's keys for 1C (used an hour ago) and the CRM's leads, a revoked one, and
the program's BI key.

Their tokens are random and nobody knows them: the README shows how to create a key of your own.
"""

from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import User
from portal.core.time import utcnow
from portal.extensions import db

from . import services


def load(rng) -> None:
    head = db.session.scalar(select(User).where(User.email == "head@demo.test"))
    manager = db.session.scalar(select(User).where(User.email == "manager@demo.test"))
    if head is None or manager is None:
        return
    now = utcnow()
    trade = services.create_key(head, "1С:Торговля", ["claims:write", "claims:read", "catalogue:read"]).key
    trade.created_at, trade.last_used_at = now - timedelta(days=40), now - timedelta(hours=1)
    crm = services.create_key(head, "Битрикс24: сделки", ["leads:write", "leads:read"]).key
    crm.created_at, crm.last_used_at = now - timedelta(days=12), now - timedelta(hours=3)
    old = services.create_key(head, "Старый обмен с Битрикс24", ["claims:write"]).key
    old.created_at = now - timedelta(days=200)
    services.revoke_key(head, old)
    old.revoked_at = now - timedelta(days=35)
    bi = services.create_key(manager, "BI-отчётность", ["queue:read", "participants:read", "orders:read"]).key
    bi.created_at, bi.last_used_at = now - timedelta(days=20), now - timedelta(minutes=rng.randint(5, 50))
    db.session.flush()
