"""Scoring on submission, the scan fingerprints, the hold for two reviewers, the "fraud" decision, bad input."""

from datetime import timedelta

import pytest

from portal.auth.models import MANAGER
from portal.claims import services as claims
from portal.claims.models import APPROVED, REJECTED, REVERSED, SUBMITTED
from portal.core.errors import DomainError, NotAllowed
from portal.core.time import today
from portal.extensions import db
from portal.fraud import services
from portal.fraud.models import ClaimRisk
from portal.program.services import get_settings
from tests.claims import factories as f
from tests.fraud.helpers import invoice_image, submit


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)


@pytest.fixture
def catalogue(db):
    f.product()
    f.per_unit_rule(100)
    get_settings().first_sale_bonus = 0


@pytest.fixture
def seller(make, catalogue):
    return make.user(email="seller@example.test")


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER)


def codes(claim) -> list[str]:
    return [signal["code"] for signal in db.session.get(ClaimRisk, claim.id).signals]


def test_submitting_a_claim_scores_it_in_the_same_transaction(seller):
    claim = submit(seller, scan=invoice_image(1))
    risk = db.session.get(ClaimRisk, claim.id)
    assert risk.score == 0 and risk.signals == [] and risk.scan_sha256 and len(risk.scan_phash) == 16


def test_the_same_scan_on_another_sellers_claim_is_a_signal_pointing_to_it(make, seller):
    first = submit(seller, number="СЧ-1", scan=invoice_image(1))
    other = make.user(email="other@example.test")
    second = submit(other, number="СЧ-77", scan=invoice_image(1))
    risk = db.session.get(ClaimRisk, second.id)
    assert risk.signals[0]["code"] == "same_scan" and risk.signals[0]["claims"] == [first.id]
    assert risk.score >= services.get_fraud_settings().hold_score and risk.held


def test_a_rescanned_image_is_a_near_duplicate(make, seller):
    first = submit(seller, number="СЧ-1", scan=invoice_image(5))
    other = make.user(email="other@example.test")
    second = submit(other, number="СЧ-2", scan=invoice_image(5, fmt="JPEG", scale=0.7), filename="scan.jpg")
    risk = db.session.get(ClaimRisk, second.id)
    assert [(s["code"], s["claims"]) for s in risk.signals] == [("near_scan_other", [first.id])]


def test_a_different_invoice_of_the_same_layout_is_not_a_duplicate(seller):
    submit(seller, number="СЧ-1", scan=invoice_image(5))
    assert codes(submit(seller, number="СЧ-2", scan=invoice_image(6))) == []


def test_identical_honest_repeat_orders_are_not_flagged(seller):
    """A regular customer ordering the same each month: same lines, same customer, new invoice and scan."""
    for month in range(3):
        claim = submit(seller, number=f"СЧ-{10 + month}", invoice_date=today() - timedelta(days=50 - 20 * month),
                       customer_inn="7728168971", scan=invoice_image(100 + month))
        assert db.session.get(ClaimRisk, claim.id).score == 0


def test_a_sale_to_the_sellers_own_company_is_held(seller):
    claim = submit(seller, customer_inn=seller.company.inn, scan=invoice_image(1))
    assert codes(claim) == ["own_company"] and db.session.get(ClaimRisk, claim.id).held


def test_a_claim_without_a_scan_or_whose_file_is_gone_is_scored_without_fingerprints(seller):
    draft = submit(seller, scan=None)  # an API draft waits for its scan: not scored until submitted
    assert db.session.get(ClaimRisk, draft.id) is None
    lost = f.submitted(seller, number="СЧ-404")  # the factory names a file that does not exist
    risk = db.session.get(ClaimRisk, lost.id)
    assert risk is not None and risk.scan_sha256 is None and risk.score == 0


def test_a_failure_of_scoring_never_blocks_the_submission(seller, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the scorer fell over")

    monkeypatch.setattr("portal.fraud.services.gather", broken)
    claim = submit(seller, scan=invoice_image(1))
    assert claim.status == SUBMITTED and db.session.get(ClaimRisk, claim.id) is None


def test_a_held_claim_needs_two_reviewers(make, seller, manager):
    colleague = make.user(role=MANAGER)
    claim = submit(seller, customer_inn=seller.company.inn, scan=invoice_image(1))
    with pytest.raises(DomainError, match="two reviewers|двух проверяющих"):
        claims.approve_claim(claim, manager)
    services.hold_claim(claim, manager)
    with pytest.raises(NotAllowed):
        claims.approve_claim(claim, manager)  # the one who held it
    with pytest.raises(DomainError, match="already held|уже передал"):
        services.hold_claim(claim, colleague)
    claims.approve_claim(claim, colleague)
    assert claim.status == APPROVED


def test_a_program_with_one_reviewer_is_never_locked_out_of_a_held_claim(seller, manager):
    claim = submit(seller, customer_inn=seller.company.inn, scan=invoice_image(1))
    assert db.session.get(ClaimRisk, claim.id).held
    claims.approve_claim(claim, manager)
    assert claim.status == APPROVED


def test_a_reviewer_may_hold_any_claim_for_a_second_opinion(make, seller, manager):
    colleague = make.user(role=MANAGER)
    claim = submit(seller, scan=invoice_image(1))
    services.hold_claim(claim, manager)
    with pytest.raises(NotAllowed):
        claims.approve_claim(claim, manager)
    claims.approve_claim(claim, colleague)


def test_bulk_approval_takes_only_claims_at_or_below_the_bulk_line(seller, manager):
    calm = submit(seller, number="СЧ-1", scan=invoice_image(1))
    risky = submit(seller, number="СЧ-2", customer_inn=seller.company.inn, scan=invoice_image(2))
    with pytest.raises(DomainError, match="not in bulk|не массово"):
        claims.approve_claim(risky, manager, bulk=True)
    claims.approve_claim(calm, manager, bulk=True)
    assert calm.status == APPROVED


def test_fraud_decision_rejects_or_reverses_and_feeds_later_scores(make, seller, manager):
    approved = submit(seller, number="СЧ-1", scan=invoice_image(1))
    claims.approve_claim(approved, manager)
    waiting = submit(seller, number="СЧ-2", scan=invoice_image(2))
    services.decide_fraud(waiting, manager, "Счёт не выставлялся")
    assert waiting.status == REJECTED
    assert "fraud" in waiting.rejection_reason or "мошенничество" in waiting.rejection_reason
    services.decide_fraud(approved, manager)
    assert approved.status == REVERSED
    later = submit(seller, number="СЧ-3", scan=invoice_image(3))
    risk = db.session.get(ClaimRisk, later.id)
    assert risk.signals[0]["code"] == "person_fraud" and risk.signals[0]["claims"] == [approved.id, waiting.id]
    colleague = make.user(company=seller.company)
    assert codes(submit(colleague, number="СЧ-4", scan=invoice_image(4))) == ["company_fraud"]
    with pytest.raises(DomainError):
        services.decide_fraud(waiting, manager)  # already decided


@pytest.mark.parametrize(("bulk", "hold", "large", "message"), [
    (60, 50, 100, "below the hold line|ниже порога"), (-1, 50, 100, "from 0 to 100|от 0 до 100"),
    (10, 101, 100, "from 0 to 100|от 0 до 100"),
    (10, 50, 0, "positive amount|положительной суммой"),
])
def test_thresholds_are_checked(manager, bulk, hold, large, message):
    with pytest.raises(DomainError, match=message):
        services.save_fraud_settings(manager, bulk_max_score=bulk, hold_score=hold, large_sale_kopecks=large)


def test_a_lower_hold_line_holds_weaker_signals(seller, manager):
    services.save_fraud_settings(manager, bulk_max_score=5, hold_score=10, large_sale_kopecks=10_000_000)
    claim = submit(seller, lines=[claims.LineData("SPL-09", 1, 9_500_000)], scan=invoice_image(1))
    risk = db.session.get(ClaimRisk, claim.id)
    assert [s["code"] for s in risk.signals] == ["just_under"] and risk.held


def test_claims_submitted_before_the_upgrade_are_scored_by_the_rescore_command(app, seller):
    claim = submit(seller, customer_inn=seller.company.inn, scan=invoice_image(1))
    db.session.delete(db.session.get(ClaimRisk, claim.id))
    db.session.commit()
    assert services.unscored_claims() == [claim.id]
    result = app.test_cli_runner().invoke(args=["fraud", "rescore"])
    assert "1 claim(s) scored" in result.output
    db.session.expire_all()
    assert db.session.get(ClaimRisk, claim.id).score == 70 and services.unscored_claims() == []


@pytest.mark.parametrize(("quantity", "fires"), [
    (19, True),  # 1,900 points of a 2,000 cap: the most the rule gives, short by a hair
    (20, False),  # at the cap: an honest large sale is simply capped
    (25, False),  # above it, capped
    (10, False),  # half the cap
])
def test_points_just_under_a_rules_cap_per_claim_is_a_weak_signal(make, db, quantity, fires):
    f.product()
    f.per_unit_rule(100, name="Сплит за штуку", cap_per_claim=2_000)
    get_settings().first_sale_bonus = 0
    seller = make.user(email="capped@example.test")
    claim = submit(seller, lines=[claims.LineData("SPL-09", quantity, 4_900_000)], scan=invoice_image(3))
    risk = db.session.get(ClaimRisk, claim.id)
    found = [signal for signal in risk.signals if signal["code"] == "just_under_cap"]
    if fires:
        assert found == [{"code": "just_under_cap", "weight": 10, "claims": [],
                          "params": {"rule": "Сплит за штуку", "points": 1_900, "cap": 2_000}}]
        assert not risk.held
    else:
        assert found == []


def test_without_a_capped_rule_no_sale_is_just_under_a_cap(seller):
    claim = submit(seller, lines=[claims.LineData("SPL-09", 19, 4_900_000)], scan=invoice_image(3))
    assert "just_under_cap" not in codes(claim)
