"""The referral bonus: paid to the referrer once per invitee, when the invitee's first sale is approved, in the
approval's own transaction (domain events), through the ledger with the key `referral:<invitee id>`.

Locks: the approval locks the invitee's accounts before it posts anything; the referrer's are taken earlier still,
when the approval is announced (claim_approving), so every approval locks up the referral chain first (a referrer
before their invitee, the ledger's issuance account last) and two approvals never wait on each other in a circle.
With the referrer's accounts held, the count of their bonuses in the period cannot change under us: the cap holds.

A reversal of the first sale does not take the bonus back: like the first-sale bonus and a lead's qualification
reward, it rewards an event that happened (the invitee started selling), not the sale's points."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.models import User
from portal.core.errors import DomainError
from portal.core.sql import compare_and_set
from portal.core.time import local_date, utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.notifications import kinds
from portal.notifications.links import link_to
from portal.notifications.services import notify

from .models import BONUS_OFF, CAP_REACHED, NOT_PAID, PAID, WAITING, Referral, bonus_key
from .services import bonuses_paid_in_period, get_referral_settings


def _waiting_referral(invitee_id: int) -> Referral | None:
    return db.session.scalar(select(Referral).where(Referral.invitee_id == invitee_id, Referral.status == WAITING)
                             .execution_options(populate_existing=True))


def lock_referrer(claim) -> None:
    """Before an approval locks the seller: hold the referrer's accounts while the seller's first sale may pay."""
    referral = _waiting_referral(claim.user_id)
    if referral is not None:
        ledger.lock_participant(referral.referrer_id)


def pay_referral_bonus(claim, actor: User | None) -> Referral | None:
    """On the approval of the invitee's sale: the first approved one decides the referral, exactly once. Paid when
    the bonus is on and the referrer's cap for the period is not reached; otherwise recorded as not paid, with the
    reason the referrer sees."""
    referral = _waiting_referral(claim.user_id)
    if referral is None:
        return None
    ledger.lock_participant(referral.referrer_id)  # held since claim_approving: a no-op that keeps the rule local
    referral = _waiting_referral(claim.user_id)  # reread under the lock
    if referral is None:
        return None
    settings = get_referral_settings()
    now = utcnow()
    day = local_date(now)
    invitee = db.session.get(User, claim.user_id)
    decided = {"first_sale_at": now, "first_claim_id": claim.id}
    if not settings.active:
        decided.update(status=NOT_PAID, reason=BONUS_OFF)
    elif (settings.cap_per_period is not None
          and bonuses_paid_in_period(referral.referrer_id, day, settings.cap_period) >= settings.cap_per_period):
        decided.update(status=NOT_PAID, reason=CAP_REACHED)
    else:
        transaction = ledger.earn(referral.referrer_id, settings.points, key=bonus_key(claim.user_id),
                                  source_type="referral", source_id=referral.id,
                                  actor_id=actor.id if actor else None, params={"invitee": invitee.full_name})
        decided.update(status=PAID, bonus_points=settings.points, transaction_id=transaction.id, paid_on=day)
    if not compare_and_set(referral, "status", WAITING, **decided):
        raise DomainError(_l("Someone has just approved another sale of this person. Try again."))
    if referral.status == PAID:
        notify(referral.referrer_id, kinds.REFERRAL_PAID, {"name": invitee.full_name, "points": referral.bonus_points},
               link_to("referrals.invite"))
    else:
        notify(referral.referrer_id, kinds.REFERRAL_NOT_PAID, {"name": invitee.full_name, "reason": referral.reason},
               link_to("referrals.invite"))
    db.session.flush()
    return referral
