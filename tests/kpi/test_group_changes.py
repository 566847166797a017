"""A group's membership change keeps the KPI group counters right (issue #22).

A sale counts for the groups its company belonged to on the invoice date, so adding a company (today or dated
back), moving its start back, removing it, adding a region or importing INNs changes what the group's counters
should hold for days already counted. Every scenario ends with `portal check`'s KPI comparison and the contests'
rebuild finding nothing to change."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from portal.auth.models import MANAGER
from portal.checks.consistency import kpi_drift
from portal.contests import scoring
from portal.contests.models import BY_GROUP
from portal.core import events
from portal.core.time import frozen_time
from portal.extensions import db
from portal.groups import services as groups
from portal.kpi import stages
from portal.kpi.models import COMPANY, GROUP, KpiCounter, KpiPersonScope, KpiStage, KpiStageResult
from portal.products.services import read_rows
from portal.program.services import get_settings
from tests.contests import helpers as h

NOW = datetime(2026, 6, 20, 12)  # "today" is 20 June 2026; stages are April, May and June


def assert_consistent():
    """Nothing for `portal check` to find in the KPI counters, nothing for the contests' rebuild to change."""
    assert kpi_drift() == []
    assert scoring.recompute_all(fix=False) == []


def group_figure(group, metric, month=None):
    """The group's counter `metric`, summed over every stage or in the stage starting on the month's first day."""
    query = select(func.coalesce(func.sum(getattr(KpiCounter, metric)), 0)).where(
        KpiCounter.scope_kind == GROUP, KpiCounter.scope_key == str(group.id))
    if month is not None:
        query = query.join(KpiStage, KpiStage.id == KpiCounter.stage_id).where(
            KpiStage.starts_on == date(2026, month, 1))
    return db.session.scalar(query)


def group_people_rows(group):
    return db.session.scalar(select(func.count(KpiPersonScope.id)).where(
        KpiPersonScope.scope_kind == GROUP, KpiPersonScope.scope_key == str(group.id)))


@pytest.fixture
def clock(db):
    with frozen_time(NOW):
        yield NOW


@pytest.fixture
def setting(clock, make):
    """Stages April-June 2026, a manager, a company registered long ago with one seller registered today, an
    empty group and a running contest with a league per group (so the contests' rescoring is exercised too)."""
    stages.add_months(2026, 4, 6)
    h.catalogue()
    get_settings().first_sale_bonus = 0
    boss = make.user(role=MANAGER)
    company = make.company(region="Москва")
    company.created_at = NOW - timedelta(days=300)
    seller = make.user(company=company)
    events.participant_registered.send(seller)
    group = groups.save_group("Юг", "", boss)
    contest = h.contest(boss, league_mode=BY_GROUP, group_ids=[group.id])
    db.session.flush()
    return {"boss": boss, "company": company, "seller": seller, "group": group, "contest": contest}


def test_dating_a_membership_back_counts_an_earlier_sale_for_the_group(setting):
    """The reproduction of the issue: a company in no group has a sale invoiced five days ago; it joins a group
    as a member since ten days ago. The group has the sale, and its seller as a person selling."""
    boss, company, group = setting["boss"], setting["company"], setting["group"]
    h.sale(setting["seller"], boss, days_ago=5)
    assert group_figure(group, "claims_approved") == 0
    groups.add_company(group, company, boss, since=NOW.date() - timedelta(days=10))
    assert group_figure(group, "claims_approved") == 1
    assert group_figure(group, "sales_amount") == 1_000_000
    assert group_figure(group, "active_people") == 1
    assert group_figure(group, "first_selling") == 1
    assert group_figure(group, "registered") == 1  # registered today, while the company is in the group
    assert_consistent()


def test_adding_a_company_today_counts_a_sale_invoiced_today(setting):
    """A company joins a group during the day: it belongs to it for the whole day, today's sale included."""
    boss, company, group = setting["boss"], setting["company"], setting["group"]
    h.sale(setting["seller"], boss, days_ago=0)
    h.sale(setting["seller"], boss, days_ago=3)  # before the company joined: not the group's
    groups.add_company(group, company, boss)
    assert group_figure(group, "claims_approved") == 1
    assert group_figure(group, "active_people") == 1
    assert_consistent()


def test_removing_a_company_today_uncounts_a_sale_invoiced_today(setting):
    """A company leaves a group during the day: at the day's end it is no longer in it, so today's sale and its
    seller leave the group's counters; the earlier sale stays."""
    boss, company, group = setting["boss"], setting["company"], setting["group"]
    groups.add_company(group, company, boss, since=NOW.date() - timedelta(days=10))
    h.sale(setting["seller"], boss, days_ago=4)
    h.sale(setting["seller"], boss, quantity=2, days_ago=0)
    assert group_figure(group, "claims_approved") == 2
    groups.remove_company(group, company, boss)
    assert group_figure(group, "claims_approved") == 1
    assert group_figure(group, "sales_amount") == 1_000_000
    assert group_figure(group, "registered") == 0  # registered today: the company's day ends outside the group
    assert_consistent()


def test_removing_the_only_company_leaves_no_rows_of_people_in_the_group(setting):
    boss, company, group = setting["boss"], setting["company"], setting["group"]
    groups.add_company(group, company, boss)
    h.sale(setting["seller"], boss, days_ago=0)
    assert group_people_rows(group) == 1
    groups.remove_company(group, company, boss)
    assert group_people_rows(group) == 0
    assert group_figure(group, "active_people") == 0
    assert_consistent()


def test_moving_a_membership_start_back_counts_the_sales_in_between(setting):
    boss, company, group = setting["boss"], setting["company"], setting["group"]
    groups.add_company(group, company, boss)
    h.sale(setting["seller"], boss, days_ago=6)
    assert group_figure(group, "claims_approved") == 0
    groups.add_company(group, company, boss, since=NOW.date() - timedelta(days=8))
    assert group_figure(group, "claims_approved") == 1
    assert_consistent()


def test_adding_a_region_counts_the_sales_of_its_companies_today(setting):
    boss, group = setting["boss"], setting["group"]
    h.sale(setting["seller"], boss, days_ago=0)
    assert groups.add_region(group, "Москва", boss) == 1
    assert group_figure(group, "claims_approved") == 1
    assert_consistent()


def test_importing_inns_counts_the_sales_of_the_companies_today(setting):
    boss, company, group = setting["boss"], setting["company"], setting["group"]
    h.sale(setting["seller"], boss, days_ago=0)
    rows = groups.check_member_import(group, read_rows("inns.csv", f"ИНН\n{company.inn}\n".encode()))
    assert groups.apply_member_import(group, rows, boss) == 1
    assert group_figure(group, "claims_approved") == 1
    assert_consistent()


def test_dating_back_into_an_earlier_stage_moves_the_first_sale_in_the_group(setting):
    """The company sells on 25 May and on 15 June and is in the group from 1 June: its seller sells in the group
    for the first time in June. Dated back to 20 May, the group's first sale is May's, and June still has the
    seller among the people selling, no longer as a first."""
    boss, company, group = setting["boss"], setting["company"], setting["group"]
    h.sale(setting["seller"], boss, days_ago=26)  # 25 May
    h.sale(setting["seller"], boss, days_ago=5)  # 15 June
    groups.add_company(group, company, boss, since=date(2026, 6, 1))
    assert (group_figure(group, "first_selling", 5), group_figure(group, "first_selling", 6)) == (0, 1)
    groups.add_company(group, company, boss, since=date(2026, 5, 20))
    assert (group_figure(group, "claims_approved", 5), group_figure(group, "claims_approved", 6)) == (1, 1)
    assert (group_figure(group, "first_selling", 5), group_figure(group, "first_selling", 6)) == (1, 0)
    assert (group_figure(group, "active_people", 5), group_figure(group, "active_people", 6)) == (1, 1)
    assert_consistent()


def test_a_closed_stage_keeps_its_stored_group_results(setting):
    """May is closed with the group empty; dating the membership back into May changes May's live group counters
    (so the stage shows that it changed since closing) but not the results stored when it closed."""
    boss, company, group = setting["boss"], setting["company"], setting["group"]
    h.sale(setting["seller"], boss, days_ago=26)  # 25 May
    may = db.session.scalar(select(KpiStage).where(KpiStage.starts_on == date(2026, 5, 1)))
    stages.close_stage(may, boss)
    stored_before = db.session.scalar(select(func.count(KpiStageResult.id)).where(
        KpiStageResult.stage_id == may.id, KpiStageResult.scope_kind == GROUP))
    groups.add_company(group, company, boss, since=date(2026, 5, 20))
    assert group_figure(group, "claims_approved", 5) == 1
    assert db.session.scalar(select(func.count(KpiStageResult.id)).where(
        KpiStageResult.stage_id == may.id, KpiStageResult.scope_kind == GROUP)) == stored_before == 0
    assert_consistent()


def test_a_group_change_recounts_only_that_group(setting, make):
    """The recount is targeted: another group the company belongs to, and the company's own counters, are
    left as they were (here deliberately wrong, to see that nothing else is rewritten)."""
    boss, company, group = setting["boss"], setting["company"], setting["group"]
    other = groups.save_group("Север", "", boss)
    groups.add_company(other, company, boss)
    h.sale(setting["seller"], boss, days_ago=0)
    for kind, key in ((GROUP, str(other.id)), (COMPANY, str(company.id))):
        db.session.execute(update(KpiCounter).where(KpiCounter.scope_kind == kind, KpiCounter.scope_key == key)
                           .values(claims_approved=KpiCounter.claims_approved + 40))
    groups.add_company(group, company, boss)
    assert group_figure(group, "claims_approved") == 1
    assert group_figure(other, "claims_approved") == 41
    assert db.session.scalar(select(func.sum(KpiCounter.claims_approved)).where(
        KpiCounter.scope_kind == COMPANY, KpiCounter.scope_key == str(company.id))) == 41


def test_a_seller_who_sold_elsewhere_first_is_not_new_in_the_group(setting, make):
    """The seller sold for another company in April, moved, and sells for the company in June: when the company
    joins the group, the group counts them selling for the first time in the group, but not as a new seller of
    the program (their first sale ever was April's)."""
    from portal.partners import services as partners

    boss, company, group = setting["boss"], setting["company"], setting["group"]
    with frozen_time(datetime(2026, 3, 20, 9)):  # before the first stage: no registration to count
        elsewhere = make.company(region="Казань")
        seller = make.user(company=elsewhere)
    h.sale(seller, boss, days_ago=60)  # 21 April, for the other company
    with frozen_time(datetime(2026, 5, 1, 9)):
        partners.move_participant(seller, company, boss)
    h.sale(seller, boss, days_ago=2)
    groups.add_company(group, company, boss, since=date(2026, 6, 1))
    assert group_figure(group, "first_selling", 6) == 1
    assert group_figure(group, "new_active", 6) == 0
    assert group_figure(group, "claims_approved") == 1
    assert_consistent()


def test_courses_and_leads_of_the_day_count_for_a_group_the_company_joins(setting):
    """A course passed and a lead qualified today count for a group the company joins today, and leave it with
    the company."""
    from portal.leads import services as leads
    from portal.training import services as training
    from tests.leads import factories as lf
    from tests.training import factories as tf

    boss, company, group, seller = setting["boss"], setting["company"], setting["group"], setting["seller"]
    quiz = tf.quiz_of(tf.course(title="Монтаж"))
    assert training.submit_quiz(seller, quiz, tf.right_answers(quiz)).course_passed_now
    leads.qualify_lead(lf.lead(seller, lf.channel().id), boss)
    groups.add_company(group, company, boss)
    assert (group_figure(group, "courses_passed"), group_figure(group, "leads_qualified")) == (1, 1)
    assert group_figure(group, "trained_people") == 1
    assert_consistent()
    groups.remove_company(group, company, boss)
    assert (group_figure(group, "courses_passed"), group_figure(group, "leads_qualified")) == (0, 0)
    assert group_figure(group, "trained_people") == 0
    assert_consistent()
