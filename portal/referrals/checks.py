"""`portal check`: every paid referral has exactly one ledger transaction, the one with its key, crediting the
referrer its bonus; and every referral bonus in the ledger belongs to a paid referral."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.extensions import db
from portal.ledger.models import DEBT, WALLET, Account, LedgerEntry, LedgerTransaction

from .models import PAID, Referral, bonus_key


def referral_bonus_drift() -> list:
    findings = []
    credited = (select(LedgerEntry.transaction_id, Account.user_id, func.sum(LedgerEntry.amount).label("points"))
                .join(Account, Account.id == LedgerEntry.account_id).where(Account.kind.in_((WALLET, DEBT)))
                .group_by(LedgerEntry.transaction_id, Account.user_id).subquery())
    tx = LedgerTransaction
    rows = db.session.execute(
        select(Referral.id, Referral.invitee_id, Referral.referrer_id, Referral.bonus_points, tx.id,
               tx.idempotency_key, tx.source_type, tx.source_id, credited.c.points)
        .outerjoin(tx, tx.id == Referral.transaction_id)
        .outerjoin(credited, (credited.c.transaction_id == tx.id) & (credited.c.user_id == Referral.referrer_id))
        .where(Referral.status == PAID).order_by(Referral.id)).all()
    for referral_id, invitee_id, _referrer_id, points, tx_id, key, source_type, source_id, paid in rows:
        if tx_id is None or key != bonus_key(invitee_id) or source_type != "referral" or source_id != referral_id:
            findings.append(_l("Referral #%(id)s is paid, but the ledger holds no referral bonus with its key "
                               "%(key)s.", id=referral_id, key=bonus_key(invitee_id)))
        elif (paid or 0) != points:
            findings.append(_l("Referral #%(id)s paid %(points)s points, but its ledger transaction #%(tx)s credits "
                               "the referrer %(paid)s.", id=referral_id, points=points, tx=tx_id, paid=paid or 0))
    paid_ids = select(Referral.transaction_id).where(Referral.status == PAID, Referral.transaction_id.is_not(None))
    for tx_id, key in db.session.execute(
            select(tx.id, tx.idempotency_key).where(tx.source_type == "referral", tx.reverses_id.is_(None),
                                                    tx.id.not_in(paid_ids)).order_by(tx.id)).all():
        findings.append(_l("Ledger transaction #%(tx)s (%(key)s) pays a referral bonus no paid referral names.",
                           tx=tx_id, key=key))
    return findings
