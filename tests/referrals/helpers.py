"""People, links and sales for the referral tests."""

import itertools
from datetime import datetime, timedelta

from portal.claims import services as claims
from portal.core.time import frozen_time, today
from portal.extensions import db
from portal.program.services import get_settings
from portal.referrals import services
from tests.claims import factories as cf

NOW = datetime(2026, 3, 10, 9, 0)
_phones = itertools.count(1000)
_numbers = itertools.count(1)


def with_own_phone(user):
    """The factories give everyone the same phone; a referral compares phones, so each person gets their own."""
    user.phone = f"+7916555{next(_phones):04d}"
    db.session.flush()
    return user


def setup_program(points=700, cap=None, period="month", active=True, sales_earn=True):
    """The referral bonus, a product, and (unless `sales_earn` is off: sales that earn nothing) a rule for sales."""
    get_settings().first_sale_bonus = 0
    cf.product()
    if sales_earn:
        cf.per_unit_rule(100)
    settings = services.get_referral_settings()
    settings.active, settings.points, settings.cap_per_period, settings.cap_period = active, points, cap, period
    db.session.flush()
    return settings


def invite(referrer, invitee):
    return services.record_referral(services.link_of(referrer).code, invitee)


def submitted_sale(seller, days_ago=3):
    return cf.submitted(seller, number=f"RF-{next(_numbers)}", invoice_date=today() - timedelta(days=days_ago))


def approved_sale(seller, manager, at=NOW):
    with frozen_time(at):
        claim = submitted_sale(seller)
        claims.approve_claim(claim, manager)
    return claim
