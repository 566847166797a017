"""The demo program: believable companies, people and activity, loaded once by `flask portal demo`.

Each feature adds its own part through a `demo.py` of its own; this module runs them in order.
"""

import random

from sqlalchemy import select

from portal.api import demo as api_demo
from portal.auth.models import User
from portal.claims import demo as claims_demo
from portal.contests import demo as contests_demo
from portal.extensions import db
from portal.fraud import demo as fraud_demo
from portal.groups import demo as groups_demo
from portal.home import demo as home_demo
from portal.kpi import demo as kpi_demo
from portal.leads import demo as leads_demo
from portal.ledger import demo as ledger_demo
from portal.news import demo as news_demo
from portal.notifications import demo as notifications_demo
from portal.partners import demo as partners_demo
from portal.plans import demo as plans_demo
from portal.recruitment import demo as recruitment_demo
from portal.referrals import demo as referrals_demo
from portal.shop import demo as shop_demo
from portal.training import demo as training_demo

DEMO_PASSWORD = "demo12345"
MARKER_EMAIL = "admin@demo.test"


def load_demo(seed: int = 2026) -> bool:
    """Load the demo program unless it is there already. Returns whether anything was created."""
    if db.session.scalar(select(User.id).where(User.email == MARKER_EMAIL)) is not None:
        return False
    rng = random.Random(seed)
    partners_demo.load(rng)
    db.session.flush()
    ledger_demo.load(rng)
    referrals_demo.load(rng)  # before the sales are decided: an invitee's first approved sale pays its bonus
    claims_demo.load(rng)
    training_demo.load(rng)
    shop_demo.load(rng)
    leads_demo.load(rng)
    groups_demo.load(rng)
    plans_demo.load(rng)
    contests_demo.load(rng)
    home_demo.load(rng)  # English names for what the demo created, once everything exists
    api_demo.load(rng)
    fraud_demo.load(rng)  # a few flagged sales in the review queue
    news_demo.load(rng)
    notifications_demo.load(rng)
    recruitment_demo.load(rng)  # a running campaign, its funnel read from the demo's companies
    kpi_demo.load(rng)  # last: its actuals are rebuilt from everything the demo made
    db.session.commit()
    return True
