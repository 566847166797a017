"""Who holds a customer: protection that outlives the first sale, one holder per customer decided by the database
(many registrations or qualifications at once), the conflict's wording, and the check for customers held twice."""

import importlib.util
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.auth.models import MANAGER, User
from portal.claims import services as claims
from portal.core.errors import DomainError
from portal.core.time import frozen_time, local_date
from portal.extensions import db as _db
from portal.leads import holders, services
from portal.leads.holders import lead_holder_problems
from portal.leads.models import EXPIRED, QUALIFIED, REJECTED, SUBMITTED, WON, WON_PROTECTION_DAYS, Lead, LeadAward
from portal.ledger import services as ledger
from portal.ledger.models import LedgerTransaction
from portal.program.services import get_settings
from tests.claims import factories as cf
from tests.leads import factories as f

T0 = datetime(2026, 3, 2, 10, 0)


@pytest.fixture
def seller(make):
    return make.user(email="seller@example.test", full_name="Первова Анна")


@pytest.fixture
def rival(make):
    return make.user(email="rival@example.test")  # another company


@pytest.fixture
def colleague(make, seller):
    return make.user(email="colleague@example.test", company=seller.company)


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER)


@pytest.fixture
def channel(db):
    get_settings().first_sale_bonus = 0
    services.get_lead_settings().protection_days = 30
    return f.channel()


def _approved_sale(seller, manager, lead):
    cf.product()
    data = claims.ClaimData(invoice_number="УПД-7", invoice_date=local_date(lead.submitted_at),
                            customer_name=lead.customer_name, customer_inn=lead.customer_inn,
                            lines=[claims.LineData("SPL-09", 1, 5_000_000)], lead_id=str(lead.id))
    claim = claims.save_draft(seller, data, scan=("stored.pdf", "invoice.pdf", "application/pdf"))
    claims.submit_claim(claim, seller)
    claims.approve_claim(claim, manager)
    return claim


# --- 1. protection holds after the first sale --------------------------------------------------------------


def test_a_customer_stays_protected_after_the_first_attributed_sale(db, seller, rival, manager, channel):
    with frozen_time(T0):
        lead = services.qualify_lead(f.lead(seller, channel.id), manager)
        _approved_sale(seller, manager, lead)
    assert lead.status == WON
    with frozen_time(T0 + timedelta(days=1)):
        second = f.lead(rival, channel.id, customer_inn=lead.customer_inn)
    assert second.status == REJECTED and second.conflict_lead_id == lead.id
    with pytest.raises(DomainError):
        services.qualify_lead(second, manager)
    assert db.session.scalar(select(func.count(LeadAward.id)).where(LeadAward.lead_id == second.id)) == 0


def test_a_won_customer_is_held_for_the_stated_period_after_the_win_then_freed(db, seller, rival, manager,
                                                                               channel):
    with frozen_time(T0):
        lead = services.qualify_lead(f.lead(seller, channel.id), manager)
    with frozen_time(T0 + timedelta(days=10)):
        services.close_lead(lead, manager, won=True)
    end = T0 + timedelta(days=10 + WON_PROTECTION_DAYS)
    assert lead.protected_until == end  # later than the 30 days of protection
    # The protection date passes, the job runs: still held until the won period ends.
    assert services.expire_protection(T0 + timedelta(days=31)) == 0
    with frozen_time(T0 + timedelta(days=31)):
        assert f.lead(rival, channel.id, customer_inn=lead.customer_inn).status == REJECTED
    assert services.expire_protection(end) == 1
    lead = db.session.get(Lead, lead.id)
    assert lead.status == WON and lead.holder_inn is None
    assert lead.events[-1].action == "released"
    with frozen_time(end + timedelta(days=1)):
        assert f.lead(rival, channel.id, customer_inn=lead.customer_inn).status == SUBMITTED


def test_a_qualified_lead_that_held_nothing_still_expires(db, seller, manager, channel):
    lead = services.qualify_lead(f.lead(seller, channel.id), manager)
    lead.holder_inn = None  # a duplicate from before the holder rule
    db.session.flush()
    assert services.expire_protection(lead.protected_until) == 1
    assert db.session.get(Lead, lead.id).status == EXPIRED


def test_a_win_never_shortens_the_protection(db, seller, manager, channel):
    services.get_lead_settings().protection_days = WON_PROTECTION_DAYS + 60
    with frozen_time(T0):
        lead = services.qualify_lead(f.lead(seller, channel.id), manager)
        services.close_lead(lead, manager, won=True)
    assert lead.protected_until == T0 + timedelta(days=WON_PROTECTION_DAYS + 60)


def test_the_won_period_is_a_lead_setting(db, seller, manager, channel):
    services.update_lead_settings(protection_days=30, extension_days=30, max_extensions=2, attribution_days=90,
                                  max_cost_per_lead_kopecks=None, reminder_days=[7], won_protection_days=60)
    with frozen_time(T0):
        lead = services.qualify_lead(f.lead(seller, channel.id), manager)
    with frozen_time(T0 + timedelta(days=5)):
        services.close_lead(lead, manager, won=True)
    assert lead.protected_until == T0 + timedelta(days=65)
    with pytest.raises(DomainError) as error:
        services.update_lead_settings(protection_days=30, extension_days=30, max_extensions=2, attribution_days=90,
                                      max_cost_per_lead_kopecks=None, reminder_days=[7], won_protection_days=0)
    assert error.value.field == "won_protection_days"


@pytest.mark.parametrize("ending", ["reject", "lose", "expire"])
def test_a_lead_that_ends_lets_the_customer_go(db, seller, rival, manager, channel, ending):
    lead = f.lead(seller, channel.id)
    if ending == "reject":
        services.reject_lead(lead, manager, "нет")
    else:
        services.qualify_lead(lead, manager)
        if ending == "lose":
            services.close_lead(lead, manager, won=False)
        else:
            services.expire_protection(lead.protected_until)
    assert db.session.get(Lead, lead.id).holder_inn is None
    assert f.lead(rival, channel.id, customer_inn=lead.customer_inn).status == SUBMITTED


# --- 2. the database decides -------------------------------------------------------------------------------


def test_the_database_refuses_a_second_holder_of_one_customer(db, seller, rival, channel):
    first = f.lead(seller, channel.id)
    second = f.lead(rival, channel.id)
    assert (first.holder_inn, second.holder_inn) == (first.customer_inn, second.customer_inn)
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(update(Lead).where(Lead.id == second.id).values(holder_inn=first.customer_inn))


@pytest.mark.parametrize("change", [{"status": REJECTED, "rejection_reason": "нет"}, {"holder_inn": "7707083893"}])
def test_the_database_refuses_a_holder_that_holds_nothing(db, seller, channel, change):
    lead = f.lead(seller, channel.id)
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(update(Lead).where(Lead.id == lead.id).values(**change))


def _parallel(app, work, count):
    barrier = threading.Barrier(count)
    outcomes = []

    def run(index):
        with app.app_context():
            try:
                barrier.wait(timeout=20)
                outcomes.append(work(index))
                _db.session.commit()
            except DomainError as exc:
                _db.session.rollback()
                outcomes.append(("refused", str(exc.message)))
            except Exception as exc:  # noqa: BLE001 - a 500 in waiting: the test names it
                _db.session.rollback()
                outcomes.append(("error", repr(exc)))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_many_registrations_of_one_customer_at_once_leave_one_holder(app, make):
    people = [make.user() for _ in range(6)]  # six partner companies
    inn = f.customer_inn()
    with app.app_context():
        channel_id = f.channel().id
        services.get_lead_settings()
        _db.session.commit()
        # Only the INN is the same: names, phones and mail differ.
        forms = [f.data(channel_id, customer_inn=inn) for _ in people]

    def register(index):
        lead = services.register_lead(_db.session.get(User, people[index].id), forms[index])
        return (lead.status, lead.conflict_lead_id)

    outcomes = _parallel(app, register, len(people))
    assert not [o for o in outcomes if o[0] in ("error", "refused")], outcomes
    assert sorted(status for status, _ in outcomes) == [REJECTED] * 5 + [SUBMITTED]
    with app.app_context():
        holder = _db.session.scalar(select(Lead).where(Lead.status == SUBMITTED))
        assert holder.holder_inn == inn
        assert {conflict for status, conflict in outcomes if status == REJECTED} == {holder.id}
        assert lead_holder_problems() == []


def test_my_own_double_registration_at_once_is_refused_with_the_lead_number(app, make):
    person = make.user()
    with app.app_context():
        channel_id = f.channel().id
        services.get_lead_settings()
        _db.session.commit()
        form = f.data(channel_id)

    def register(index):
        return (services.register_lead(_db.session.get(User, person.id), form).status, None)

    outcomes = _parallel(app, register, 4)
    assert [o[0] for o in outcomes].count(SUBMITTED) == 1, outcomes
    refused = [o for o in outcomes if o[0] != SUBMITTED]
    assert len(refused) == 3 and all(o[0] == "refused" and "#" in o[1] for o in refused), outcomes


def test_two_leads_of_one_customer_qualified_at_once_protect_it_once(app, make):
    first_manager, second_manager = make.user(role=MANAGER), make.user(role=MANAGER)
    seller, rival = make.user(), make.user()
    with app.app_context():
        get_settings().first_sale_bonus = 0
        channel_id = f.channel().id
        f.rule("fixed", 600)
        first = f.lead(_db.session.get(User, seller.id), channel_id)
        second = f.lead(_db.session.get(User, rival.id), channel_id)
        # Data from before the holder rule: the second lead names the same customer and holds nothing.
        second.customer_inn, second.holder_inn = first.customer_inn, None
        first.holder_inn = None
        ids = [first.id, second.id]
        _db.session.commit()
    managers = [first_manager.id, second_manager.id]

    def qualify(index):
        lead = services.qualify_lead(_db.session.get(Lead, ids[index]), _db.session.get(User, managers[index]))
        return (lead.status, lead.id)

    outcomes = _parallel(app, qualify, 2)
    assert sorted(o[0] for o in outcomes) == ["qualified", "refused"], outcomes
    with app.app_context():
        assert _db.session.scalar(select(func.count(Lead.id)).where(Lead.status == QUALIFIED)) == 1
        assert _db.session.scalar(select(func.count(LeadAward.id))) == 1
        assert _db.session.scalar(select(func.count(LedgerTransaction.id))) == 1


def test_the_qualification_reward_is_a_ledger_transaction_with_its_own_key(db, seller, manager, channel):
    f.rule("fixed", 500)
    lead = services.qualify_lead(f.lead(seller, channel.id), manager)
    posted = ledger.find_transaction(f"lead:{lead.id}:qualified")
    assert posted is not None and (posted.source_type, posted.source_id) == ("lead", lead.id)
    # Posting it again under the same key (a retried request) returns the same transaction: paid once.
    again = ledger.earn(seller.id, 500, key=f"lead:{lead.id}:qualified", source_type="lead", source_id=lead.id,
                        actor_id=manager.id, params={"customer": lead.customer_name})
    assert again.id == posted.id and ledger.balance_of(seller.id) == 500


# --- 3. what the second registrant is told -------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "words"), [("ru", ("ожидает проверки", "другим партнёром")),
                                                ("en", ("awaiting review", "another partner"))])
def test_a_customer_only_pending_is_said_to_await_review(db, seller, rival, channel, locale, words):
    first = f.lead(seller, channel.id)
    with force_locale(locale):
        second = f.lead(rival, channel.id, customer_inn=first.customer_inn)
        told = holders.conflict_notice(second)
    for text in (second.rejection_reason, told):
        assert all(word in text for word in words), text
        assert "защищ" not in text and "protected" not in text
        assert seller.full_name not in text and f"#{first.id}" not in text


@pytest.mark.parametrize(("locale", "words"), [("ru", ("защищён другим партнёром", "до 01.04.2026")),
                                                ("en", ("protected by another partner", "until 01.04.2026"))])
def test_a_protected_customer_is_said_to_be_protected_until_its_date(db, seller, rival, manager, channel, locale,
                                                                      words):
    with frozen_time(T0):
        first = services.qualify_lead(f.lead(seller, channel.id), manager)
    with force_locale(locale):
        second = f.lead(rival, channel.id, customer_inn=first.customer_inn)
        told = holders.conflict_notice(second)
    for text in (second.rejection_reason, told):
        assert all(word in text for word in words), text
        assert seller.full_name not in text and f"#{first.id}" not in text


@pytest.mark.parametrize(("locale", "words"), [("ru", ("коллег", "Первова Анна", "ожидает проверки")),
                                                ("en", ("colleague", "Первова Анна", "awaiting review"))])
def test_a_colleagues_lead_is_named_as_such(db, seller, colleague, channel, locale, words):
    first = f.lead(seller, channel.id)
    with force_locale(locale):
        second = f.lead(colleague, channel.id, customer_inn=first.customer_inn)
        told = holders.conflict_notice(second)
    assert second.status == REJECTED and second.conflict_lead_id == first.id
    for text in (second.rejection_reason, told):
        assert all(word in text for word in words), text
        assert f"#{first.id}" in text and "другим партнёром" not in text and "another partner" not in text


# --- 4. the check ---------------------------------------------------------------------------------------------


def test_lead_holder_problems_names_customers_held_twice(db, seller, rival, manager, channel):
    first = f.lead(seller, channel.id)
    second = f.lead(rival, channel.id, customer_inn=first.customer_inn)
    services.qualify_lead(f.lead(seller, channel.id), manager)  # another customer, held once
    assert lead_holder_problems() == []
    # Data written around the services: the rejected duplicate put back under review.
    db.session.execute(update(Lead).where(Lead.id == second.id).values(status=SUBMITTED))
    problems = lead_holder_problems()
    assert len(problems) == 1
    assert first.customer_inn in problems[0] and f"#{first.id}" in problems[0] and f"#{second.id}" in problems[0]


def test_a_won_lead_past_its_protection_holds_nothing_for_the_check(db, seller, rival, manager, channel):
    with frozen_time(T0):
        first = services.qualify_lead(f.lead(seller, channel.id), manager)
        services.close_lead(first, manager, won=True)
    services.expire_protection(first.protected_until)
    f.lead(rival, channel.id, customer_inn=first.customer_inn)
    assert lead_holder_problems() == []


def _migration():
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0024_lead_holder_index.py"
    spec = importlib.util.spec_from_file_location("lead_holder_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_keeps_the_oldest_holder_of_duplicates(db, seller, rival, manager, channel):
    with frozen_time(T0):
        oldest = f.lead(seller, channel.id)
        newer = f.lead(rival, channel.id)
        won = services.qualify_lead(f.lead(rival, channel.id), manager)
        services.close_lead(won, manager, won=True)
        gone = services.qualify_lead(f.lead(seller, channel.id), manager)
        services.close_lead(gone, manager, won=True)
    # As the data was before the holder column: nothing held, a duplicate under review, a win years old.
    db.session.execute(update(Lead).values(holder_inn=None))
    db.session.execute(update(Lead).where(Lead.id == newer.id).values(customer_inn=oldest.customer_inn))
    db.session.execute(update(Lead).where(Lead.id == gone.id).values(
        closed_at=T0 - timedelta(days=800), protected_until=T0 - timedelta(days=770)))
    db.session.execute(update(Lead).where(Lead.id == won.id).values(protected_until=T0 + timedelta(days=30)))
    _migration().keep_oldest_holders(db.session.connection(), now=T0 + timedelta(days=1))
    db.session.expire_all()
    held = dict(db.session.execute(select(Lead.id, Lead.holder_inn)).all())
    assert held == {oldest.id: oldest.customer_inn, newer.id: None, won.id: won.customer_inn, gone.id: None}
    assert db.session.get(Lead, won.id).protected_until == T0 + timedelta(days=WON_PROTECTION_DAYS)
