"""Notifications the ledger's postings cause: points credited to a wallet, points expired (domain events, in
the posting's transaction)."""

from sqlalchemy import func, select

from portal.core import events
from portal.extensions import db
from portal.ledger.models import ADJUST, EARN, EXPIRE, WALLET, Account, LedgerEntry

from .kinds import POINTS_CREDITED, POINTS_EXPIRED
from .links import link_to
from .services import notify

KIND_OF = {EARN: POINTS_CREDITED, ADJUST: POINTS_CREDITED, EXPIRE: POINTS_EXPIRED}


@events.points_posted.connect
def _tell_about_points(transaction, **extra):
    kind = KIND_OF.get(transaction.kind)
    if kind is None or transaction.reverses_id is not None:
        return
    rows = db.session.execute(
        select(Account.user_id, func.sum(LedgerEntry.amount)).join(Account, Account.id == LedgerEntry.account_id)
        .where(LedgerEntry.transaction_id == transaction.id, Account.kind == WALLET).group_by(Account.user_id)).all()
    for user_id, amount in rows:
        if kind == POINTS_CREDITED and amount > 0:
            notify(user_id, kind, {"points": int(amount)}, link_to("ledger.statement"))
        elif kind == POINTS_EXPIRED and amount < 0:
            notify(user_id, kind, {"points": int(-amount)}, link_to("ledger.statement"))
