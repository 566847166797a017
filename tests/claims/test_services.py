import threading
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from portal.auth.models import MANAGER, PARTNER_ADMIN
from portal.claims import services
from portal.claims.models import APPROVED, DRAFT, REJECTED, REVERSED, SUBMITTED, TRANSITIONS, Claim
from portal.core.errors import DomainError, NotAllowed
from portal.core.time import frozen_time
from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.models import LedgerTransaction
from portal.program.services import get_settings
from tests.claims import factories as f
from tests.ledger.helpers import assert_ledger_consistent


@pytest.fixture
def seller(make):
    return make.user(email="seller@example.test")


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER)


@pytest.fixture
def catalogue(db):
    f.product()
    f.product(sku="PIPE", name="Труба медная", category="Монтаж", price=100_000, cost=70_000)
    f.per_unit_rule(100)
    get_settings().first_sale_bonus = 0


@pytest.mark.parametrize(
    ("source", "allowed"),
    [
        (DRAFT, {SUBMITTED}),
        (SUBMITTED, {APPROVED, REJECTED}),
        (APPROVED, {REVERSED}),
        (REJECTED, set()),
        (REVERSED, set()),
    ],
)
def test_state_machine_table(source, allowed):
    assert TRANSITIONS[source] == allowed


def test_draft_submit_approve_credits_points_once(db, seller, manager, catalogue):
    claim = f.submitted(seller)
    assert claim.status == SUBMITTED and claim.total_kopecks == 9_800_000
    services.approve_claim(claim, manager)
    assert (claim.status, claim.points) == (APPROVED, 200)
    assert ledger.balance_of(seller.id) == 200
    with pytest.raises(DomainError, match="уже|already"):
        services.approve_claim(claim, manager)  # a second approval changes nothing
    assert ledger.balance_of(seller.id) == 200
    assert [e.status for e in claim.events] == [SUBMITTED, APPROVED]
    assert [(a.rule.name, a.points) for a in claim.awards] == [("За штуку", 200)]
    assert_ledger_consistent()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"days_ago": -1}, "invoice_date"),  # tomorrow
        ({"days_ago": 61}, "invoice_date"),
        ({"scan": False}, "scan"),
    ],
)
def test_submit_rules(db, seller, catalogue, change, field):
    claim = f.draft(seller, **change)
    with pytest.raises(DomainError) as error:
        services.submit_claim(claim, seller)
    assert error.value.field == field
    assert claim.status == DRAFT


def test_an_invoice_dated_today_in_moscow_is_accepted_while_utc_is_still_on_yesterday(db, seller, catalogue):
    """At 01:30 in Moscow (22:30 UTC) a seller logs a sale dated today: it is not "in the future"."""
    with frozen_time(datetime(2026, 3, 9, 22, 30)):
        claim = f.draft(seller, invoice_date=date(2026, 3, 10))
        services.submit_claim(claim, seller)
    assert claim.status == SUBMITTED
    with frozen_time(datetime(2026, 3, 9, 20, 30)), pytest.raises(DomainError) as error:  # 23:30 in Moscow
        services.submit_claim(f.draft(seller, number="СЧ-2", invoice_date=date(2026, 3, 10)), seller)
    assert error.value.field == "invoice_date"


def test_window_edge_is_inclusive(db, seller, catalogue):
    claim = f.draft(seller, days_ago=60)
    services.submit_claim(claim, seller)
    assert claim.status == SUBMITTED


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (services.LineData("NOPE", 1, 100), "каталог|catalogue"),
        (services.LineData("SPL-09", 0, 100), "количество|quantity"),
        (services.LineData("SPL-09", 1, 0), "цена|price"),
    ],
)
def test_line_rules(db, seller, catalogue, line, message):
    with pytest.raises(DomainError, match=message):
        f.draft(seller, lines=[line])


def test_inactive_products_cannot_be_claimed(db, seller, catalogue):
    f.product(sku="OLD", active=False)
    with pytest.raises(DomainError, match="OLD|Сплит"):
        f.draft(seller, lines=[services.LineData("OLD", 1, 100)])


def test_duplicate_invoice_in_another_company_is_flagged_beside_its_twin(db, make, catalogue):
    company = make.company()
    first = make.user(company=company)
    colleague = make.user(company=company)
    one = f.submitted(first, number="сч 15")
    two = f.submitted(colleague, number="СЧ15")  # same invoice typed differently
    assert two.possible_duplicate and one.possible_duplicate
    assert services.twins(two) == [one]
    other_date = f.submitted(colleague, number="СЧ15", days_ago=5)
    assert not other_date.possible_duplicate


def test_nobody_reviews_their_own_claim_and_partner_admins_cannot_approve(db, make, catalogue):
    company = make.company()
    manager_seller = make.user(role=MANAGER)
    head = make.user(role=PARTNER_ADMIN, company=company)
    seller = make.user(company=company)
    claim = f.submitted(seller)
    with pytest.raises(NotAllowed):
        services.approve_claim(claim, head)
    claim.user_id = manager_seller.id  # a manager's own claim (say, from an earlier job)
    with pytest.raises(NotAllowed):
        services.approve_claim(claim, manager_seller)


def test_reject_needs_a_reason_and_reversal_claws_back(db, seller, manager, catalogue):
    claim = f.submitted(seller)
    with pytest.raises(DomainError):
        services.reject_claim(claim, manager, " ")
    services.approve_claim(claim, manager)
    ledger.spend(seller.id, 150, key="order", source_type="order", source_id=1)
    services.reverse_claim(claim, manager, "Возврат товара")
    assert claim.status == REVERSED
    assert ledger.balances_of(seller.id) == ledger.Balances(available=0, held=0, debt=150)
    assert_ledger_consistent()


def test_first_sale_bonus_once(db, seller, manager, catalogue):
    get_settings().first_sale_bonus = 500
    services.approve_claim(f.submitted(seller, number="1"), manager)
    services.approve_claim(f.submitted(seller, number="2"), manager)
    assert ledger.balance_of(seller.id) == 200 + 200 + 500


def test_period_cap_counts_earlier_awards(db, seller, manager, catalogue):
    from portal.rules.models import EarningRule

    rule = db.session.scalar(select(EarningRule))
    rule.cap_per_period = 300
    services.approve_claim(f.submitted(seller, number="1"), manager)
    second = f.submitted(seller, number="2")
    services.approve_claim(second, manager)
    assert second.points == 100
    assert ledger.balance_of(seller.id) == 300


def test_birthday_bonus_once_a_year(db, make):
    person = make.user()
    person.birthday = date(1990, 3, 8)
    get_settings().birthday_bonus = 300
    db.session.commit()
    with frozen_time(datetime(2026, 3, 8, 6, 0)):
        assert services.birthday_bonuses() == 1
        assert services.birthday_bonuses() == 0
    assert ledger.balance_of(person.id) == 300


def test_a_birthday_is_a_day_of_moscows_calendar(db, make):
    person = make.user()
    person.birthday = date(1990, 3, 8)
    get_settings().birthday_bonus = 300
    db.session.commit()
    assert services.birthday_bonuses(datetime(2026, 3, 7, 20, 30)) == 0  # 23:30 on the 7th in Moscow
    assert services.birthday_bonuses(datetime(2026, 3, 7, 21, 30)) == 1  # 00:30 on the 8th
    assert services.birthday_bonuses(datetime(2026, 3, 8, 21, 30)) == 0  # the 9th: too late, and paid already


def test_two_managers_approving_at_once_credit_once(app, make):
    seller, first, second = make.user(), make.user(role=MANAGER), make.user(role=MANAGER)
    with app.app_context():
        f.product()
        f.per_unit_rule(100)
        get_settings().first_sale_bonus = 0
        claim_id = f.submitted(db.session.get(type(seller), seller.id)).id
        db.session.commit()
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(manager_id):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                services.approve_claim(db.session.get(Claim, claim_id), db.session.get(type(seller), manager_id))
                db.session.commit()
                outcomes.append("approved")
            except DomainError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=(m.id,)) for m in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["approved", "refused"]
    with app.app_context():
        assert ledger.balance_of(seller.id) == 200
        assert db.session.scalar(select(func.count(LedgerTransaction.id))) == 1


# --- claims of companies awaiting approval (issue #22) ---------------------------------------------------


def test_a_claim_of_a_company_awaiting_approval_waits_until_the_company_is_approved(db, make, manager, catalogue):
    from portal.partners.models import PENDING
    from portal.partners.services import approve_company

    company = make.company(status=PENDING)
    seller = make.user(company=company)
    claim = f.submitted(seller)  # saved and submitted: it waits
    assert claim.status == SUBMITTED
    with pytest.raises(DomainError, match="ожидает одобрения|awaiting approval"):
        services.approve_claim(claim, manager)
    db.session.refresh(claim)
    assert (claim.status, claim.points) == (SUBMITTED, None)
    assert ledger.balance_of(seller.id) == 0
    assert services.company_not_admitted(claim) is not None
    approve_company(company, manager)
    assert services.company_not_admitted(claim) is None
    services.approve_claim(claim, manager)  # now an ordinary claim
    assert (claim.status, claim.points) == (APPROVED, 200)
    assert ledger.balance_of(seller.id) == 200
    assert_ledger_consistent()


def test_a_rejected_company_cannot_send_sales_and_its_waiting_ones_cannot_be_approved(db, make, manager, catalogue):
    from portal.partners.models import PENDING
    from portal.partners.services import reject_company

    company = make.company(status=PENDING)
    seller = make.user(company=company)
    waiting = f.submitted(seller, number="СЧ-1")
    draft = f.draft(seller, number="СЧ-2")
    reject_company(company, manager, "Не дилер")
    with pytest.raises(DomainError, match="не допущена|not admitted"):
        services.submit_claim(draft, seller)
    assert draft.status == DRAFT
    with pytest.raises(DomainError, match="не допущена|not admitted"):
        services.approve_claim(waiting, manager)
    assert ledger.balance_of(seller.id) == 0
    services.reject_claim(waiting, manager, "Компания не допущена")  # the manager closes it
    assert waiting.status == REJECTED


# --- saving the claim form: the draft, then the submission when asked ------------------------------------------


def _form_data(**changes):
    from datetime import timedelta

    from portal.core.time import today

    values = {"invoice_number": "СЧ-77", "invoice_date": today() - timedelta(days=3),
              "customer_name": "ООО «Покупатель»", "customer_inn": "",
              "lines": [services.LineData("SPL-09", 2, 4_900_000)]}
    return services.ClaimData(**{**values, **changes})


SCAN = ("stored.pdf", "invoice.pdf", "application/pdf")


def test_saving_the_form_with_submit_sends_the_sale_for_review(db, seller, catalogue):
    saved = services.save_claim(seller, _form_data(), scan=SCAN, submit=True)
    assert saved.claim.status == SUBMITTED and saved.not_submitted is None
    assert [e.status for e in saved.claim.events] == [SUBMITTED]


def test_saving_the_form_without_submit_keeps_a_draft(db, seller, catalogue):
    saved = services.save_claim(seller, _form_data(), scan=SCAN)
    assert saved.claim.status == DRAFT and saved.not_submitted is None


def test_a_sale_that_cannot_be_submitted_stays_a_saved_draft_with_the_reason(db, seller, catalogue):
    saved = services.save_claim(seller, _form_data(), submit=True)  # no scan: it cannot be submitted
    assert saved.claim.status == DRAFT and saved.claim.id is not None
    assert "скан" in str(saved.not_submitted).lower() or "scan" in str(saved.not_submitted).lower()
    db.session.expire_all()
    kept = db.session.get(Claim, saved.claim.id)
    assert (kept.status, kept.invoice_number, kept.submitted_at, len(kept.lines)) == (DRAFT, "СЧ-77", None, 1)
    assert kept.events == []


def test_a_form_that_cannot_be_saved_is_refused_before_anything_is_submitted(db, seller, catalogue):
    with pytest.raises(DomainError) as error:
        services.save_claim(seller, _form_data(invoice_number=" "), scan=SCAN, submit=True)
    assert error.value.field == "invoice_number"
    assert db.session.scalar(select(func.count(Claim.id))) == 0
