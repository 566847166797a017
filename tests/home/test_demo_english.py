"""The demo reads English in English: its rules, prizes and courses carry English names and texts."""

import random
from decimal import Decimal

from flask_babel import force_locale

from portal.home import demo
from portal.rules.models import EarningRule
from tests.shop import factories as shop


def test_demo_rules_prizes_and_courses_have_english_texts(app, db):
    rule = EarningRule(name="Баллы за сплит-системы", kind="per_unit", value=Decimal(300), priority=100)
    db.session.add(rule)
    prize = shop.prize(name="Термокружка")
    db.session.flush()
    demo.load(random.Random(1))
    db.session.expire_all()
    assert rule.name_en == "Points for split systems"
    with app.test_request_context(), force_locale("en"):
        assert rule.display_name == "Points for split systems"
        assert prize.display_name == "Travel mug"
        assert prize.display_description.startswith("A prize of the Partner Club programme")
