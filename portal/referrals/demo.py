"""Demo referrals: the demo seller invited two colleagues of other companies. Loaded before the demo's sales are
decided, so the first one's approved sale pays the bonus through the same event as in the running portal."""

from sqlalchemy import select

from portal.auth.models import PARTICIPANT, User
from portal.extensions import db
from portal.partners.models import PartnerCompany

from . import services
from .models import ReferralSettings


def load(rng) -> None:
    db.session.merge(ReferralSettings(id=1, active=True, points=500, cap_per_period=5, cap_period="month"))
    referrer = db.session.scalar(select(User).where(User.email == "seller@demo.test"))
    if referrer is None:
        return
    # The first participants of approved companies: the demo's sales approve the first one's sale and leave the
    # second one's for review (portal/claims/demo.py).
    invitees = db.session.scalars(
        select(User).join(User.company).where(User.role == PARTICIPANT, User.email.like("user%"),
                                              PartnerCompany.status == "approved")
        .order_by(User.id).limit(2)).all()
    code = services.link_of(referrer).code
    for invitee in invitees:
        referral = services.record_referral(code, invitee)
        referral.created_at = invitee.created_at
    db.session.flush()
