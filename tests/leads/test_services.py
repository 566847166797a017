import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.auth.models import MANAGER, User
from portal.claims import services as claims
from portal.claims.models import Claim
from portal.core import events
from portal.core.errors import DomainError, NotAllowed
from portal.core.time import frozen_time, local_date
from portal.extensions import db
from portal.leads import matching, services
from portal.leads.models import (
    EXPIRED,
    LOST,
    QUALIFIED,
    REJECTED,
    SUBMITTED,
    TRANSITIONS,
    WON,
    Lead,
    LeadAward,
    LeadReminder,
)
from portal.ledger import services as ledger
from portal.ledger.models import LedgerTransaction
from portal.program.services import get_settings
from tests.claims import factories as cf
from tests.leads import factories as f
from tests.ledger.helpers import assert_ledger_consistent

T0 = datetime(2026, 3, 2, 10, 0)


@pytest.fixture
def seller(make):
    return make.user(email="seller@example.test")


@pytest.fixture
def rival(make):
    return make.user(email="rival@example.test")  # another company


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER)


@pytest.fixture
def channel(db):
    get_settings().first_sale_bonus = 0
    return f.channel()


@pytest.mark.parametrize(
    ("source", "allowed"),
    [
        (SUBMITTED, {QUALIFIED, REJECTED}),
        (QUALIFIED, {WON, LOST, EXPIRED}),
        (REJECTED, set()),
        (WON, set()),
        (LOST, set()),
        (EXPIRED, set()),
    ],
)
def test_state_machine_table(source, allowed):
    assert TRANSITIONS[source] == allowed


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("ООО «Ромашка»", "ромашка"),
        ('ООО "Ромашка"', "ромашка"),
        ("Ромашка, ООО", "ромашка"),
        ("  ромашка  ", "ромашка"),
        ("АО «Ромашка Плюс»", "ромашкаплюс"),
        ("ИП Сидоров Пётр", "сидоровпетр"),
        ("“РОМАШКА”", "ромашка"),
        ("ООО", "ооо"),  # nothing but a legal form: keep it rather than match every such name
    ],
)
def test_company_names_are_compared_without_legal_form_quotes_case_or_spaces(name, key):
    assert matching.name_key(name) == key


@pytest.mark.parametrize(
    ("email", "domain"),
    [("Ivan@Romashka.RU", "romashka.ru"), ("a@mail.ru", None), ("b@gmail.com", None), ("c@yandex.ru", None),
     ("", None), ("no-at-sign", None)],
)
def test_public_mail_domains_say_nothing_about_the_company(email, domain):
    assert matching.email_domain(email) == domain


BASE = {"customer_name": "ООО «Ромашка»", "region": "Москва", "contact_email": "ivan@romashka.ru",
        "contact_phone": "+7 (916) 123-45-67"}


@pytest.mark.parametrize(
    ("second", "conflict"),
    [
        ({"same_inn": True}, True),
        ({"customer_name": '"РОМАШКА" ооо'}, True),
        ({"customer_name": "АО Ромашка"}, True),
        ({"customer_name": "Ромашка", "region": "Тверь"}, False),
        ({"customer_name": "Ромашка-Юг"}, False),
        ({"contact_email": "Petr@ROMASHKA.ru"}, True),
        ({"contact_phone": "8 916 123 45 67"}, True),
        ({"contact_phone": "+79161234567"}, True),
        ({"contact_phone": "(916) 123-45-67"}, True),
        ({"contact_phone": "8-916-123-45-68"}, False),
        ({}, False),
    ],
)
def test_conflict_detection_table(db, seller, rival, channel, second, conflict):
    first = f.lead(seller, channel.id, **BASE)
    values = {"customer_name": "ООО «Другая»", "region": "Москва", "contact_email": "boss@other.ru",
              "contact_phone": "+7 903 000-00-01"}
    if second.pop("same_inn", False):
        values["customer_inn"] = first.customer_inn
    values.update(second)
    lead = f.lead(rival, channel.id, **values)
    assert (lead.status == REJECTED) is conflict
    if conflict:
        assert lead.conflict_lead_id == first.id
        assert "другим партнёром" in lead.rejection_reason or "another partner" in lead.rejection_reason
        assert seller.full_name not in lead.rejection_reason and first.customer_name not in lead.rejection_reason


def test_public_email_domains_do_not_conflict(db, seller, rival, channel):
    f.lead(seller, channel.id, contact_email="ivan@mail.ru")
    assert f.lead(rival, channel.id, contact_email="petr@mail.ru").status == SUBMITTED


@pytest.mark.parametrize(("closing", "conflict"), [(None, True), ("qualify", True), ("expire", False),
                                                    ("reject", False), ("lose", False)])
def test_only_active_leads_hold_the_customer(db, seller, rival, manager, channel, closing, conflict):
    first = f.lead(seller, channel.id)
    if closing == "reject":
        services.reject_lead(first, manager, "нет")
    elif closing:
        services.qualify_lead(first, manager)
        if closing == "expire":
            services.expire_protection(first.protected_until)
        elif closing == "lose":
            services.close_lead(first, manager, won=False)
    second = f.lead(rival, channel.id, customer_inn=first.customer_inn)
    assert (second.status == REJECTED) is conflict


def test_my_own_duplicate_is_refused_with_its_number(db, seller, channel):
    first = f.lead(seller, channel.id)
    with pytest.raises(DomainError, match=f"#{first.id}"):
        f.lead(seller, channel.id, customer_inn=first.customer_inn)


@pytest.mark.parametrize(
    ("field", "value"),
    [("customer_inn", "1234567890"), ("customer_name", "  "), ("contact_phone", "+1 212 555 0100"),
     ("contact_email", "not-an-email"), ("estimated_kopecks", 0), ("estimated_kopecks", 10**16),
     ("channel_id", 10**40), ("customer_kpp", "12")],
)
def test_registration_checks_each_field(db, seller, channel, field, value):
    with pytest.raises(DomainError) as error:
        services.register_lead(seller, f.data(**{"channel_id": channel.id, field: value}))
    assert error.value.field in (field, "estimated_amount")


def test_staff_cannot_register_leads(db, manager, channel):
    with pytest.raises(NotAllowed):
        f.lead(manager, channel.id)


@pytest.mark.parametrize(
    ("rule_points", "cap_kopecks", "point_value", "expected"),
    [
        (2000, 100_000, 100, 1000),  # 1,000 RUB at 1 RUB a point
        (2000, 100_000, 50, 2000),  # 1,000 RUB at 50 kopecks a point
        (800, 100_000, 100, 800),  # under the cap
        (2000, None, 100, 2000),  # no cap
        (2000, 0, 100, 0),  # leads cost nothing: no reward
    ],
)
def test_qualified_reward_is_capped_by_the_maximum_cost_per_lead(db, seller, manager, channel, rule_points,
                                                                 cap_kopecks, point_value, expected):
    f.rule("fixed", rule_points)
    services.get_lead_settings().max_cost_per_lead_kopecks = cap_kopecks
    get_settings().point_value_kopecks = point_value
    lead = services.qualify_lead(f.lead(seller, channel.id), manager)
    assert lead.reward_points == expected
    assert ledger.balance_of(seller.id) == expected
    assert_ledger_consistent()


def test_the_most_specific_fixed_rule_applies(db, seller, manager, channel):
    other = f.channel()
    f.rule("fixed", 100)
    f.rule("fixed", 300, channel_id=channel.id)
    f.rule("fixed", 200, category="Сплит-системы")
    f.rule("fixed", 900, channel_id=other.id)
    assert services.qualify_lead(f.lead(seller, channel.id), manager).reward_points == 300
    lead = services.qualify_lead(f.lead(seller, channel.id, category="Сплит-системы"), manager)
    assert lead.reward_points == 200  # a category rule beats a channel rule


def test_qualifying_twice_rewards_once_and_tells_contests_once(db, seller, manager, channel):
    f.rule("fixed", 500)
    heard = []

    def listener(lead, actor=None, **extra):
        heard.append((lead.id, lead.user_id, lead.company_id, lead.qualified_at, actor.id))

    events.lead_qualified.connect(listener)
    try:
        lead = f.lead(seller, channel.id)
        services.qualify_lead(lead, manager)
        with pytest.raises(DomainError, match="уже|already"):
            services.qualify_lead(lead, manager)
    finally:
        events.lead_qualified.disconnect(listener)
    assert heard == [(lead.id, seller.id, seller.company_id, lead.qualified_at, manager.id)]
    assert ledger.balance_of(seller.id) == 500


def test_nobody_qualifies_their_own_lead_and_participants_cannot_review(db, seller, rival, channel):
    lead = f.lead(seller, channel.id)
    with pytest.raises(NotAllowed):
        services.qualify_lead(lead, rival)
    with pytest.raises(NotAllowed):
        services.reject_lead(lead, rival, "нет")


def test_a_second_lead_for_a_protected_customer_cannot_be_qualified(db, seller, rival, manager, channel):
    first = f.lead(seller, channel.id, customer_name="ООО «Альфа»", region="Тверь")
    second = f.lead(rival, channel.id, customer_name="ООО «Бета»", region="Тверь")
    # Both active until a manager decides: the second one matched nothing at registration (data from before the
    # customer's holder was kept: the second holds nothing).
    second.customer_inn, second.holder_inn = first.customer_inn, None
    services.qualify_lead(first, manager)
    with pytest.raises(DomainError, match=f"#{first.id}"):
        services.qualify_lead(second, manager)


def test_two_managers_qualifying_at_once_reward_once(app, make):
    first, second = make.user(role=MANAGER), make.user(role=MANAGER)
    seller = make.user()
    with app.app_context():
        get_settings().first_sale_bonus = 0
        channel = f.channel()
        f.rule("fixed", 700)
        lead_id = f.lead(db.session.get(User, seller.id), channel.id).id
        db.session.commit()
    barrier = threading.Barrier(2)
    outcomes = []

    def qualify(manager_id):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                services.qualify_lead(db.session.get(Lead, lead_id), db.session.get(User, manager_id))
                db.session.commit()
                outcomes.append("qualified")
            except DomainError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=qualify, args=(m.id,)) for m in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["qualified", "refused"]
    with app.app_context():
        assert ledger.balance_of(seller.id) == 700
        assert db.session.scalar(select(func.count(LedgerTransaction.id))) == 1
        assert db.session.scalar(select(func.count(LeadAward.id))) == 1


def test_protection_expires_by_the_job_and_frees_the_customer(db, seller, rival, manager, channel):
    services.get_lead_settings().protection_days = 30
    with frozen_time(T0):
        lead = services.qualify_lead(f.lead(seller, channel.id), manager)
    assert lead.protected_until == T0 + timedelta(days=30)
    assert services.expire_protection(T0 + timedelta(days=30) - timedelta(seconds=1)) == 0
    assert db.session.get(Lead, lead.id).status == QUALIFIED
    assert f.lead(rival, channel.id, customer_inn=lead.customer_inn).status == REJECTED
    assert services.expire_protection(T0 + timedelta(days=30)) == 1
    assert services.expire_protection(T0 + timedelta(days=31)) == 0  # idempotent
    assert db.session.get(Lead, lead.id).status == EXPIRED
    assert f.lead(rival, channel.id, customer_inn=lead.customer_inn).status == SUBMITTED


def test_reminders_before_protection_ends_are_sent_once_each(app, db, seller, manager, channel, mailbox):
    services.get_lead_settings().protection_days = 30
    services.get_lead_settings().reminder_days = [7, 1]
    with frozen_time(T0):
        lead = services.qualify_lead(f.lead(seller, channel.id), manager)
    db.session.commit()
    end = lead.protected_until
    assert services.send_protection_reminders(end - timedelta(days=7, seconds=1)) == 0
    assert services.send_protection_reminders(end - timedelta(days=7)) == 1
    assert services.send_protection_reminders(end - timedelta(days=6)) == 0
    assert services.send_protection_reminders(end - timedelta(days=1)) == 1
    assert services.send_protection_reminders(end - timedelta(hours=1)) == 0
    messages = mailbox.to(seller.email)
    assert len(messages) == 2
    assert f"#{lead.id}" in messages[0]["Subject"]
    assert db.session.scalar(select(func.count(LeadReminder.id))) == 2
    # An extended protection has reminders of its own.
    services.extend_protection(db.session.get(Lead, lead.id), manager)
    db.session.commit()
    new_end = db.session.get(Lead, lead.id).protected_until
    assert services.send_protection_reminders(new_end - timedelta(days=7)) == 1


def test_extension_is_requested_by_the_author_and_limited(db, seller, rival, manager, channel):
    settings = services.get_lead_settings()
    settings.max_extensions, settings.extension_days, settings.protection_days = 1, 15, 30
    with frozen_time(T0):
        lead = services.qualify_lead(f.lead(seller, channel.id), manager)
    with pytest.raises(NotAllowed):
        services.request_extension(lead, rival)
    services.request_extension(lead, seller)
    with pytest.raises(DomainError):
        services.request_extension(lead, seller)  # once is enough
    services.extend_protection(lead, manager)
    assert lead.protected_until == T0 + timedelta(days=45)
    assert (lead.extensions_used, lead.extension_requested_at) == (1, None)
    with pytest.raises(DomainError, match="1"):
        services.extend_protection(lead, manager)
    assert [e.action for e in lead.events] == ["submitted", "qualified", "extension_requested", "extended"]


@pytest.mark.parametrize(
    ("invoice_offset", "allowed"),
    [
        (-1, False),  # the day before the lead was registered
        (0, True),  # the day it was registered
        (5 + 90, True),  # the last day of the window: 90 days after qualification
        (5 + 91, False),  # one day later
    ],
)
def test_attribution_window_boundaries(db, seller, manager, channel, invoice_offset, allowed):
    services.get_lead_settings().attribution_days = 90
    with frozen_time(T0):
        lead = f.lead(seller, channel.id)
    with frozen_time(T0 + timedelta(days=5)):
        services.qualify_lead(lead, manager)
    invoice_date = T0.date() + timedelta(days=invoice_offset)
    if allowed:
        assert services.resolve_claim_lead(seller, str(lead.id), lead.customer_inn, invoice_date) == lead.id
    else:
        with pytest.raises(DomainError) as error:
            services.resolve_claim_lead(seller, str(lead.id), lead.customer_inn, invoice_date)
        assert error.value.field == "lead_id"
    assert services.in_window(lead, invoice_date) is allowed


def test_a_sale_names_only_my_qualified_lead_of_the_same_customer(db, seller, rival, manager, channel):
    lead = f.lead(seller, channel.id)
    day = local_date(lead.submitted_at)
    with pytest.raises(DomainError, match="квалифицированным|qualified"):
        services.resolve_claim_lead(seller, str(lead.id), lead.customer_inn, day)
    services.qualify_lead(lead, manager)
    for raw in ("abc", "99999999999999999999999999999999999999", "1e309", str(lead.id + 1000)):
        with pytest.raises(DomainError):
            services.resolve_claim_lead(seller, raw, lead.customer_inn, day)
    with pytest.raises(DomainError):
        services.resolve_claim_lead(rival, str(lead.id), lead.customer_inn, day)
    with pytest.raises(DomainError, match=lead.customer_inn):
        services.resolve_claim_lead(seller, str(lead.id), f.customer_inn(), day)
    assert services.resolve_claim_lead(seller, "", lead.customer_inn, day) is None
    assert services.resolve_claim_lead(seller, None, None, day) is None


def _sale(user, lead, number="УПД-1", quantity=2, price=5_000_000):
    data = claims.ClaimData(invoice_number=number, invoice_date=local_date(lead.submitted_at),
                            customer_name=lead.customer_name, customer_inn=lead.customer_inn,
                            lines=[claims.LineData("SPL-09", quantity, price)], lead_id=str(lead.id))
    claim = claims.save_draft(user, data, scan=("stored.pdf", "invoice.pdf", "application/pdf"))
    claims.submit_claim(claim, user)
    return claim


def test_an_approved_sale_earns_the_leads_share_once_and_a_reversal_takes_it_back(db, seller, manager, channel):
    cf.product(price=5_000_000, cost=4_000_000)  # 10,000 RUB margin on two units
    cf.per_unit_rule(100)
    f.rule("revenue_pct", 2, channel_id=channel.id)  # 2% of 100,000 RUB at 1 RUB a point = 2,000
    f.rule("margin_pct", 10, category="Сплит-системы")  # the category rule wins: 10% of 20,000 RUB = 2,000
    f.rule("fixed", 300)
    lead = services.qualify_lead(f.lead(seller, channel.id), manager)
    claim = _sale(seller, lead)
    assert claim.lead_id == lead.id
    claims.approve_claim(claim, manager)
    award = db.session.scalar(select(LeadAward).where(LeadAward.claim_id == claim.id))
    assert award.key == f"lead-share:claim:{claim.id}"
    assert award.points == 2000 and award.details["parts"][0]["kind"] == "margin_pct"
    assert award.details["parts"][0]["base_kopecks"] == 2_000_000
    assert lead.status == WON
    assert ledger.balance_of(seller.id) == 300 + 200 + 2000
    assert ledger.find_transaction(award.key).source_type == "lead_share"
    claims.reverse_claim(claim, manager, "возврат")
    assert ledger.balance_of(seller.id) == 300
    assert award.reversed_at is not None
    assert ledger.find_transaction(f"{award.key}:reversed") is not None
    assert_ledger_consistent()


def test_a_sale_outside_the_window_earns_no_share(db, seller, manager, channel):
    cf.product()
    f.rule("revenue_pct", 2)
    services.get_lead_settings().attribution_days = 10
    lead = services.qualify_lead(f.lead(seller, channel.id), manager)
    claim = _sale(seller, lead)
    # The window shrank after the sale was registered: approval checks it again.
    services.get_lead_settings().attribution_days = 1
    lead.qualified_at = lead.submitted_at - timedelta(days=5)
    claim.invoice_date = local_date(lead.submitted_at) + timedelta(days=3)
    claims.approve_claim(claim, manager)
    assert db.session.scalar(select(func.count(LeadAward.id)).where(LeadAward.claim_id == claim.id)) == 0


def test_two_sales_of_one_lead_each_earn_their_share(db, seller, manager, channel):
    cf.product()
    f.rule("revenue_pct", 1)
    lead = services.qualify_lead(f.lead(seller, channel.id), manager)
    first, second = _sale(seller, lead, "A-1"), _sale(seller, lead, "A-2")
    claims.approve_claim(first, manager)
    claims.approve_claim(second, manager)
    assert [a.points for a in lead.awards if a.kind == "share"] == [1000, 1000]
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.lead_id == lead.id)) == 2


def test_source_report_counts_the_funnel_revenue_and_cost(db, seller, rival, manager, channel):
    from portal.leads.reports import export_rows, source_report

    cf.product(price=5_000_000, cost=4_000_000)
    f.rule("fixed", 500)
    f.rule("revenue_pct", 1)
    other = f.channel()
    won = services.qualify_lead(f.lead(seller, channel.id), manager)
    services.qualify_lead(f.lead(seller, channel.id), manager)
    f.lead(rival, channel.id)
    f.lead(rival, other.id)
    claims.approve_claim(_sale(seller, won), manager)
    report = source_report("channel")
    row = next(r for r in report.rows if r.key == channel.id)
    assert (row.submitted, row.qualified, row.won) == (3, 2, 1)
    assert (round(row.qualified_rate, 3), row.won_rate) == (0.667, 0.5)
    assert (row.revenue_kopecks, row.margin_kopecks) == (10_000_000, 2_000_000)
    assert row.points == 500 + 500 + 1000
    assert row.cost_per_qualified_kopecks == 100_000 and row.cost_per_won_kopecks == 200_000
    assert str(row.return_on_points) == "50.0"
    assert report.total.submitted == 4
    header, rows = export_rows(report)
    assert len(rows) == 3 and rows[-1][1] == 4
    by_person = source_report("participant")
    assert {r.label: r.submitted for r in by_person.rows} == {seller.full_name: 2, rival.full_name: 2}
    assert source_report("channel", date_from=T0.date(), date_to=T0.date()).rows == []


def test_the_scheduled_jobs_run_lead_protection(db, seller, manager, channel):
    from portal.jobs import run_due_jobs

    with frozen_time(T0):
        lead = services.qualify_lead(f.lead(seller, channel.id), manager)
    db.session.commit()
    summaries = dict(run_due_jobs(T0 + timedelta(days=400)))
    assert summaries["lead-protection"].endswith("1 lead protections ended")
    assert db.session.get(Lead, lead.id).status == EXPIRED


def _lead_in(state, seller, manager, channel):
    lead = f.lead(seller, channel.id)
    if state == REJECTED:
        services.reject_lead(lead, manager, "нет")
    elif state != SUBMITTED:
        services.qualify_lead(lead, manager)
        if state in (WON, LOST):
            services.close_lead(lead, manager, won=state == WON)
        elif state == EXPIRED:
            services.expire_protection(lead.protected_until)
    assert lead.status == state
    return lead


ACTIONS = {
    QUALIFIED: lambda lead, manager: services.qualify_lead(lead, manager),
    REJECTED: lambda lead, manager: services.reject_lead(lead, manager, "нет"),
    WON: lambda lead, manager: services.close_lead(lead, manager, won=True),
    LOST: lambda lead, manager: services.close_lead(lead, manager, won=False),
}


@pytest.mark.parametrize("source", [SUBMITTED, QUALIFIED, REJECTED, WON, LOST, EXPIRED])
@pytest.mark.parametrize("target", list(ACTIONS))
def test_services_follow_the_state_table(db, seller, manager, channel, source, target):
    lead = _lead_in(source, seller, manager, channel)
    if target in TRANSITIONS[source]:
        ACTIONS[target](lead, manager)
        assert lead.status == target
    else:
        with pytest.raises(DomainError):
            ACTIONS[target](lead, manager)
        assert lead.status == source
