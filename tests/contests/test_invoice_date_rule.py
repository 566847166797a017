"""One rule: a sale counts for the group, league and audience its seller and company belonged to on the sale's
invoice date; a course on the day it was passed. Group changes rescore the contests that use the group."""

from datetime import timedelta

import pytest
from flask_babel import force_locale

from portal.claims import services as claims
from portal.contests import boards, lookups, scoring
from portal.contests.models import BY_GROUP, COURSES_PASSED, UNITS
from portal.core import events
from portal.core.errors import DomainError
from portal.core.time import local_day_start, today, utcnow
from portal.extensions import db
from portal.groups import services as groups
from portal.partners import history
from portal.partners.models import GroupMembership
from portal.products.models import Product
from portal.training.models import CourseCompletion
from tests.contests import helpers as h
from tests.training import factories as tf


def board(contest, league=None):
    league = league or contest.leagues[0]
    return [(row.full_name, row.value) for row in boards.top(contest.id, league.id, 50)]


def member_since(group, company, moment):
    db.session.add(GroupMembership(group_id=group.id, company_id=company.id, added_at=moment))
    db.session.flush()


def test_a_sale_counts_for_the_group_its_company_was_in_on_the_invoice_date(db, make, manager, shop):
    company = make.company()
    g = h.group("Дилеры Москвы")
    member_since(g, company, utcnow() - timedelta(days=2))
    c = h.contest(manager, league_mode=BY_GROUP, group_ids=[g.id])
    anna = make.user(company=company, full_name="Анна")
    h.sale(anna, manager, days_ago=5)  # submitted today, but invoiced before the company joined the group
    h.sale(anna, manager, days_ago=1)
    assert board(c) == [("Анна", 1_000_000)]
    assert scoring.recompute_all(fix=False) == []


def test_dating_back_a_membership_counts_the_earlier_sale_in_running_contests(db, make, manager, shop):
    company = make.company(name="ООО «Север»")
    company.created_at = utcnow() - timedelta(days=300)
    g = h.group("Дилеры Москвы")
    c = h.contest(manager, league_mode=BY_GROUP, group_ids=[g.id])
    seller = make.user(company=company, full_name="Продавец")
    h.sale(seller, manager, price=199_000_000, days_ago=6)
    assert board(c) == []  # the company is in no group of the contest
    groups.add_company(g, company, manager, since=today() - timedelta(days=8))
    assert board(c) == [("Продавец", 199_000_000)]  # rescored at once, no recomputation asked for
    assert scoring.recompute_all(fix=False) == []


def test_dating_back_an_open_membership_moves_its_start(db, make, manager, shop):
    company = make.company()
    company.created_at = utcnow() - timedelta(days=300)
    g = h.group("Регионы")
    c = h.contest(manager, league_mode=BY_GROUP, group_ids=[g.id])
    seller = make.user(company=company, full_name="Продавец")
    groups.add_company(g, company, manager)
    h.sale(seller, manager, days_ago=6)
    assert board(c) == []
    groups.add_company(g, company, manager, since=today() - timedelta(days=7))
    assert board(c) == [("Продавец", 1_000_000)]
    assert len(groups.company_group_history(company.id)) == 1
    with force_locale("en"), pytest.raises(DomainError, match="already in this group"):
        groups.add_company(g, company, manager, since=today() - timedelta(days=3))


@pytest.mark.parametrize(("days", "message"), [
    (-1, "in the future"),
    (60, "registered in the program"),
    (400, "a year"),
])
def test_member_since_has_limits(db, make, manager, days, message):
    company = make.company()
    company.created_at = utcnow() - timedelta(days=30)
    if days > 300:
        company.created_at = utcnow() - timedelta(days=1000)
    g = h.group("Регионы")
    with force_locale("en"), pytest.raises(DomainError, match=message):
        groups.add_company(g, company, manager, since=today() - timedelta(days=days))


def test_member_since_does_not_overlap_an_earlier_stretch(db, make, manager):
    company = make.company()
    company.created_at = utcnow() - timedelta(days=300)
    g = h.group("Регионы")
    member_since(g, company, utcnow() - timedelta(days=20))
    groups.remove_company(g, company, manager)
    with force_locale("en"), pytest.raises(DomainError, match="earlier"):
        groups.add_company(g, company, manager, since=today() - timedelta(days=10))


def test_removing_a_company_rescores_the_contests_that_use_the_group(db, make, manager, shop):
    company = make.company()
    g = h.group("Регионы", company)
    c = h.contest(manager, league_mode=BY_GROUP, group_ids=[g.id])
    anna = make.user(company=company, full_name="Анна")
    h.sale(anna, manager, days_ago=0)
    assert board(c) == [("Анна", 1_000_000)]
    groups.remove_company(g, company, manager)
    assert board(c) == []  # not in the group at the end of the invoice day
    assert scoring.recompute_all(fix=False) == []


def test_the_audience_is_the_one_on_the_invoice_date(db, make, manager, shop, monkeypatch):
    c = h.contest(manager, audience="manager")
    anna = make.user(full_name="Анна", audience="manager")
    switched = today() - timedelta(days=3)  # a specialist until three days ago

    def audience_on(user_id, when):
        day = when if not hasattr(when, "hour") else when.date()
        return "manager" if day >= switched else "specialist"

    monkeypatch.setattr(history, "audience_on", audience_on)
    h.sale(anna, manager, days_ago=5)
    h.sale(anna, manager, quantity=2, days_ago=1)
    assert board(c) == [("Анна", 2_000_000)]
    assert scoring.recompute_all(fix=False) == []


def test_a_course_counts_for_the_group_on_the_day_it_was_passed(db, make, manager):
    company = make.company()
    g = h.group("Регионы")
    day_start = local_day_start(today() - timedelta(days=1))
    member_since(g, company, day_start + timedelta(hours=15))  # added in the afternoon
    c = h.contest(manager, metric=COURSES_PASSED, league_mode=BY_GROUP, group_ids=[g.id])
    person = make.user(company=company, full_name="Анна")
    completion = CourseCompletion(user_id=person.id, course_id=tf.course().id, company_id=company.id,
                                  passed_at=day_start + timedelta(hours=10), attempts=1, points=0)
    db.session.add(completion)
    db.session.flush()
    events.course_passed.send(completion)
    assert board(c) == [("Анна", 1)]  # passed that morning: the day counts whole
    assert scoring.recompute_all(fix=False) == []


def test_why_lists_the_sales_that_did_not_count_and_why(db, make, manager, shop):
    company = make.company()
    g = h.group("Регионы")
    member_since(g, company, utcnow() - timedelta(days=4))
    split = db.session.query(Product).filter_by(sku="SPL-09").one()
    c = h.contest(manager, metric=UNITS, league_mode=BY_GROUP, group_ids=[g.id], product_ids=[split.id])
    anna = make.user(company=company, full_name="Анна")
    counted = h.sale(anna, manager, days_ago=2)
    early = h.sale(anna, manager, days_ago=6)
    pipe = h.sale(anna, manager, sku="PIPE", days_ago=2)
    waiting = h.sale(anna, manager, days_ago=2, approve=False)
    reversed_ = h.sale(anna, manager, days_ago=2)
    claims.reverse_claim(reversed_, manager, "Возврат")
    items = {item.id: item for item in lookups.why_value(c, anna.id, c.leagues[0].id)}
    assert items[counted.id].counted and items[counted.id].reason is None
    assert {claim.id: items[claim.id].reason for claim in (early, pipe, waiting, reversed_)} == {
        early.id: "group", pipe.id: "products", waiting.id: "not_approved", reversed_.id: "reversed"}
    assert not any(items[claim.id].counted for claim in (early, pipe, waiting, reversed_))
