"""How referrals react to sales: the invitee's first approved sale decides the referral bonus (in the approval's
transaction). Also the wording of referral bonuses on statements."""

from flask_babel import gettext as _

from portal.core import events
from portal.ledger.descriptions import describes

from . import bonus


@events.claim_approving.connect
def _lock_referrer(claim, actor=None, **extra):
    bonus.lock_referrer(claim)


@events.claim_approved.connect
def _pay_referral_bonus(claim, actor=None, **extra):
    bonus.pay_referral_bonus(claim, actor)


@describes("referral")
def _referral(transaction):
    return _("Referral bonus: %(name)s, whom you invited, made a first sale",
             name=transaction.params.get("invitee", ""))
