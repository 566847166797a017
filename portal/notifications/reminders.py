"""Points about to expire: a notification a month before, once per person and expiry day."""

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select

from portal.core.time import local_date
from portal.extensions import db
from portal.ledger.models import WALLET, Account, PointLot

from .kinds import POINTS_EXPIRING
from .links import link_to
from .models import Notification
from .services import notify

WARN_BEFORE = timedelta(days=30)


def notify_expiring_points(now: datetime) -> int:
    """Tell each participant whose points expire within 30 days how many and when (the first such day), unless
    they were told about that day already. Commits; returns how many were told."""
    soonest = (select(Account.user_id, func.min(PointLot.expires_at).label("first"))
               .join(Account, Account.id == PointLot.account_id)
               .where(Account.kind == WALLET, PointLot.remaining > 0, PointLot.expires_at.is_not(None),
                      PointLot.expires_at > now, PointLot.expires_at <= now + WARN_BEFORE)
               .group_by(Account.user_id))
    told = 0
    for user_id, first in db.session.execute(soonest).all():
        day = local_date(first).isoformat()
        already = db.session.scalar(select(exists().where(and_(
            Notification.user_id == user_id, Notification.kind == POINTS_EXPIRING,
            Notification.created_at > now - WARN_BEFORE))))
        if already:
            continue
        points = db.session.scalar(
            select(func.coalesce(func.sum(PointLot.remaining), 0)).join(Account, Account.id == PointLot.account_id)
            .where(Account.user_id == user_id, Account.kind == WALLET, PointLot.remaining > 0,
                   PointLot.expires_at.is_not(None), PointLot.expires_at > now,
                   PointLot.expires_at <= now + WARN_BEFORE))
        notify(user_id, POINTS_EXPIRING, {"points": int(points), "date": day}, link_to("shop.index"))
        db.session.commit()
        told += 1
    return told
