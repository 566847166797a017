"""Program actions the audit log records where they happen: contests, groups and their members, sales plans and
the KPI plan, earning rules, API keys."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.api import services as keys
from portal.api.models import PROGRAM_SCOPES
from portal.audit import services as audit
from portal.audit.models import AuditEntry
from portal.auth.models import MANAGER
from portal.contests import services as contests
from portal.core.time import utcnow
from portal.extensions import db as _db
from portal.groups import services as groups
from portal.kpi import plan as kpi_plan
from portal.kpi import stages
from portal.kpi.models import PROGRAM
from portal.plans import services as plans
from portal.plans.models import MONTH, SALES_AMOUNT
from portal.plans.periods import period_of
from portal.rules import services as rules
from tests.contests import helpers as ch


def _entries(object_type=None):
    query = select(AuditEntry).order_by(AuditEntry.id)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    return [(e.action, e.changes) for e in _db.session.scalars(query)]


def test_contests_are_recorded_from_creation_to_cancellation(db, make):
    ch.catalogue()
    manager = make.user(role=MANAGER)
    contest = ch.contest(manager, publish=False, starts_at=utcnow() + timedelta(days=1))
    contests.save_contest(ch.contest_data(title="Зимний марафон", starts_at=contest.starts_at,
                                          ends_at=contest.ends_at), manager, contest)
    contests.publish_contest(contest, manager)
    contests.cancel_contest(contest, manager)
    actions = [a for a, _c in _entries("contest")]
    assert actions == [audit.CONTEST_CREATED, audit.CONTEST_EDITED, audit.CONTEST_PUBLISHED, audit.CONTEST_CANCELLED]
    assert _entries("contest")[1][1] == {"title": ["Весенний спринт", "Зимний марафон"]}


def test_groups_and_their_members_are_recorded(db, make):
    manager = make.user(role=MANAGER)
    first, second = make.company(), make.company()
    group = groups.save_group("Сибирь", "", manager)
    groups.add_company(group, first, manager)
    groups.add_companies(group, [second], manager)
    groups.remove_company(group, first, manager)
    entries = _entries("group")
    assert [a for a, _c in entries] == [audit.GROUP_SAVED, audit.GROUP_MEMBER_ADDED, audit.GROUP_MEMBER_ADDED,
                                        audit.GROUP_MEMBER_REMOVED]
    assert entries[1][1]["company"] == first.id and entries[2][1]["companies"] == [second.id]


def test_sales_plans_and_the_kpi_plan_are_recorded(db, make):
    manager, seller = make.user(role=MANAGER), make.user()
    june = period_of(MONTH, date(2026, 6, 1))
    plans.set_plan(seller, SALES_AMOUNT, june, 10_000_00, manager)
    plans.set_plan(seller, SALES_AMOUNT, june, 20_000_00, manager)
    stage = stages.add_months(2026, 4, 4)[0]
    kpi_plan.set_targets(PROGRAM, "", {("registered", stage.id): 150}, manager, source="import")
    assert _entries("user")[-1] == (audit.PLAN_SET, {"metric": SALES_AMOUNT, "period": june.key, "source": "manual",
                                                    "target_kopecks": [10_000_00, 20_000_00]})
    assert _entries("kpi_plan") == [(audit.KPI_PLAN_CHANGED, {"cells": 1, "source": "import"})]


def test_rules_and_api_keys_are_recorded(db, make):
    manager = make.user(role=MANAGER)
    data = rules.RuleData(name="За штуку", kind="per_unit", value=Decimal(100), product_ids=[], categories=[],
                          company_ids=[], audience=None, valid_from=None, valid_to=None, priority=0, stackable=True,
                          cap_per_claim=None, cap_per_period=None, cap_period="month")
    rule = rules.save_rule(data, manager.id)
    data.value = Decimal(150)
    rules.save_rule(data, manager.id, rule)
    key = keys.create_key(manager, "1C", list(PROGRAM_SCOPES)).key
    keys.revoke_key(manager, key)
    entries = _entries("rule")
    assert [a for a, _c in entries] == [audit.RULE_SAVED, audit.RULE_SAVED]
    assert entries[1][1] == {"value": ["100", "150"]}
    assert [a for a, _c in _entries("api_key")] == [audit.API_KEY_CREATED, audit.API_KEY_REVOKED]
