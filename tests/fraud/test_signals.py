"""Each signal alone, on hand-made facts: when it fires, when it stays quiet, its weight and what it points to."""

from datetime import date, datetime, timedelta

import pytest

from portal.fraud import signals as s
from portal.fraud.signals import Facts, Line

MONDAY = date(2026, 11, 2)
NOW = datetime(2026, 11, 2, 12)


def line(quantity=2, price=4_990_000, listed=5_000_000, product_id=1):
    return Line(product_id, "SPL-09", quantity, price, listed)


def facts(**values) -> Facts:
    values.setdefault("lines", (line(),))
    values.setdefault("total_kopecks", sum(item.quantity * item.unit_price_kopecks for item in values["lines"]))
    values.setdefault("invoice_number", "СЧ-120")
    values.setdefault("invoice_date", MONDAY)
    return Facts(claim_id=100, user_id=1, company_id=1, seller_inn="7707083893", own_inns=frozenset({"7707083893"}),
                 submitted_at=NOW, **values)


def test_a_claim_with_no_history_and_no_scan_has_no_signal():
    assert s.evaluate(facts()) == (0, [])


def test_a_claim_without_lines_is_scored_without_the_amount_signals():
    score, found = s.evaluate(facts(lines=(), total_kopecks=0, person_claims=5, person_max_quantity=1,
                                    person_max_total=100))
    assert score == 0 and found == []


@pytest.mark.parametrize(("check", "values", "code", "weight", "claims"), [
    (s.same_scan, {"same_scan": (7, 9)}, "same_scan", 60, (7, 9)),
    (s.near_duplicate_scan, {"near_scans": ((7, True), (8, False))}, "near_scan_other", 50, (8,)),
    (s.near_duplicate_scan, {"near_scans": ((7, True),)}, "near_scan_same", 25, (7,)),
    (s.same_invoice, {"same_invoice": (3,)}, "same_invoice", 60, (3,)),
    (s.number_reused, {"number_other_date": ((4, MONDAY - timedelta(days=40)),)}, "number_reused", 50, (4,)),
    (s.fraud_history, {"person_fraud": (5,)}, "person_fraud", 30, (5,)),
    (s.fraud_history, {"company_fraud": (6,)}, "company_fraud", 15, (6,)),
])
def test_document_and_history_signals_point_to_the_other_claims(check, values, code, weight, claims):
    signal = check(facts(**values))
    assert (signal.code, signal.weight, signal.claims) == (code, weight, claims)


@pytest.mark.parametrize("check", [s.same_scan, s.near_duplicate_scan, s.same_invoice, s.number_reused,
                                   s.fraud_history, s.out_of_sequence, s.day_off, s.round_sum, s.catalogue_price,
                                   s.usual_price, s.quantity_spike, s.amount_spike, s.just_under,
                                   s.customer_is_participant, s.customer_many_partners, s.new_participant_large,
                                   s.velocity, s.contest_deadline])
def test_every_signal_is_quiet_on_an_ordinary_claim(check):
    ordinary = facts(company_numbers=tuple((100 + i, MONDAY - timedelta(days=30 - i)) for i in range(20)),
                     company_days=tuple(MONDAY - timedelta(days=7 * i) for i in range(25)),
                     usual_prices={1: [4_900_000] * 6}, person_claims=10, person_max_quantity=3,
                     person_max_total=15_000_000, customer_inn="7728168971",
                     person_times=tuple(NOW - timedelta(days=d) for d in range(2, 40, 3)))
    assert check(ordinary) is None


def test_the_same_number_a_year_apart_is_a_new_year_of_numbering_not_a_reuse():
    assert s.number_reused(facts(number_other_date=((4, MONDAY - timedelta(days=365)),))) is None


def history(start=100, step=3, count=12):
    return tuple((start + step * i, MONDAY - timedelta(days=count - i)) for i in range(count))


@pytest.mark.parametrize(("number", "code"), [("СЧ-9000", "number_ahead"), ("СЧ-2", None), ("СЧ-140", None)])
def test_invoice_number_far_ahead_of_the_companys_sequence(number, code):
    signal = s.out_of_sequence(facts(invoice_number=number, company_numbers=history()))
    assert (signal.code if signal else None) == code


def test_invoice_number_far_behind_but_dated_later():
    signal = s.out_of_sequence(facts(invoice_number="5", company_numbers=history(start=5000)))
    assert signal.code == "number_behind"
    older = facts(invoice_number="5", invoice_date=MONDAY - timedelta(days=30), company_numbers=history(start=5000))
    assert s.out_of_sequence(older) is None  # a late claim of an old invoice


def test_too_short_a_sequence_says_nothing():
    assert s.out_of_sequence(facts(invoice_number="99999", company_numbers=history(count=5))) is None


def test_a_weekend_invoice_of_a_company_that_never_sells_on_weekends():
    weekdays = tuple(MONDAY - timedelta(days=7 * i) for i in range(25))
    saturday = MONDAY - timedelta(days=2)
    assert s.day_off(facts(invoice_date=saturday, company_days=weekdays)).code == "day_off"
    assert s.day_off(facts(invoice_date=date(2026, 11, 4), company_days=weekdays)).code == "day_off"  # a holiday
    assert s.day_off(facts(invoice_date=saturday, company_days=weekdays + (saturday - timedelta(days=7),))) is None
    assert s.day_off(facts(invoice_date=saturday, company_days=weekdays[:10])) is None  # too little history


@pytest.mark.parametrize(("lines", "fires"), [
    ((line(quantity=1, price=10_000_000),), True),
    ((line(quantity=5, price=1_000_000),), True),
    ((line(quantity=1, price=4_000_000),), False),  # under 50,000 roubles
    ((line(quantity=2, price=5_000_000), line(quantity=1, price=4_990_000)), False),
    ((line(quantity=4, price=2_500_050),), False),  # a round total of unround prices
])
def test_round_sums(lines, fires):
    usual = tuple(4_990_000 * n for n in range(1, 11))
    assert (s.round_sum(facts(lines=lines, company_totals=usual)) is not None) == fires


def test_a_round_sum_says_nothing_without_history_or_from_a_company_that_often_sells_round():
    lines = (line(quantity=1, price=10_000_000),)
    assert s.round_sum(facts(lines=lines, company_totals=(4_990_000,) * 9)) is None
    assert s.round_sum(facts(lines=lines, company_totals=(4_990_000,) * 8 + (5_000_000,) * 2)) is None


@pytest.mark.parametrize(("price", "weight"), [(15_000_000, 50), (12_000_000, 30), (1_500_000, 20),
                                               (1_000_000, 20), (9_000_000, None), (3_000_000, None)])
def test_unit_price_far_from_the_catalogue(price, weight):
    signal = s.catalogue_price(facts(lines=(line(price=price),)))
    assert (signal.weight if signal else None) == weight


def test_unit_price_far_from_the_companys_usual_price():
    usual = {1: [4_000_000] * 5}
    assert s.usual_price(facts(lines=(line(price=7_000_000),), usual_prices=usual)).code == "usual_price"
    assert s.usual_price(facts(lines=(line(price=4_500_000),), usual_prices=usual)) is None
    assert s.usual_price(facts(lines=(line(price=9_000_000),), usual_prices={1: [4_000_000] * 4})) is None


def test_quantity_and_total_far_above_the_persons_history():
    spike = facts(lines=(line(quantity=40),), person_claims=5, person_max_quantity=3, person_max_total=15_000_000)
    assert s.quantity_spike(spike).code == "quantity_spike"
    assert s.amount_spike(spike).code == "amount_spike"
    newcomer = facts(lines=(line(quantity=40),), person_claims=2, person_max_quantity=1, person_max_total=1)
    assert s.quantity_spike(newcomer) is None and s.amount_spike(newcomer) is None


def test_sums_just_under_the_large_sale_line_and_a_split_sale():
    under = facts(lines=(line(quantity=1, price=29_000_000, listed=29_000_000),))
    assert s.just_under(under).weight == 15
    split = facts(lines=under.lines, person_just_under=(11, 12, 13))
    assert (s.just_under(split).code, s.just_under(split).weight, s.just_under(split).claims) == (
        "just_under_repeated", 50, (11, 12, 13))
    assert s.just_under(facts(lines=under.lines, person_just_under=(11, 12))).weight == 15
    assert s.just_under(facts(lines=(line(quantity=1, price=31_000_000, listed=31_000_000),))) is None


def test_the_customer_is_the_sellers_own_company_or_another_participant():
    assert s.customer_is_participant(facts(customer_inn="7707083893")).weight == 70
    other = facts(customer_inn="7728168971", customer_company=(5, "ООО «Другой партнёр»"))
    assert (s.customer_is_participant(other).code, s.customer_is_participant(other).weight) == (
        "participant_company", 50)
    assert s.customer_is_participant(facts(customer_inn=None)) is None


def test_one_customer_claimed_by_many_partners():
    two = facts(customer_inn="7728168971", customer_other_partners=((1, 2), (3, 3)))
    assert (s.customer_many_partners(two).weight, s.customer_many_partners(two).claims) == (30, (1, 3))
    three = facts(customer_inn="7728168971", customer_other_partners=((1, 2), (3, 3), (4, 4)))
    assert s.customer_many_partners(three).weight == 50
    same_partner = facts(customer_inn="7728168971", customer_other_partners=((1, 2), (3, 2)))
    assert s.customer_many_partners(same_partner) is None


def test_a_new_participants_large_first_claims():
    big = (line(quantity=10, price=5_000_000),)
    assert s.new_participant_large(facts(lines=big, person_claims=0, person_days=10)).code == "new_large"
    assert s.new_participant_large(facts(lines=big, person_claims=0, person_days=400)) is None  # known for long
    assert s.new_participant_large(facts(lines=big, person_claims=3, person_days=10)) is None


def test_a_burst_of_claims_against_the_persons_usual_pace():
    usual = tuple(NOW - timedelta(days=d) for d in range(2, 60, 5))  # one a day with claims
    recent_ids = (1, 2, 3, 4, 5, 6, 7)
    burst = tuple(NOW - timedelta(hours=h) for h in range(1, 9))
    assert s.velocity(facts(person_times=usual + burst[:7], person_recent=recent_ids)).claims == recent_ids
    assert s.velocity(facts(person_times=usual + burst)).weight == 50
    assert s.velocity(facts(person_times=usual + burst[:4])).weight == 30
    batcher = tuple(NOW - timedelta(days=d, minutes=m) for d in range(7, 60, 7) for m in range(10))
    assert s.velocity(facts(person_times=batcher + burst)) is None  # files ten at a time every week
    assert s.velocity(facts(person_times=burst + usual[:4])) is None  # too little history to compare with


def test_a_claim_sent_in_the_last_hours_before_a_contest_deadline():
    assert s.contest_deadline(facts(contest_deadline=("Весенний спринт", 3.2))).params == {
        "contest": "Весенний спринт", "hours": 3}


def test_the_score_is_the_sum_of_the_weights_capped_at_100_strongest_first():
    score, found = s.evaluate(facts(same_scan=(1,), customer_inn="7707083893", person_fraud=(2,)))
    assert score == 100
    assert [signal.code for signal in found] == ["own_company", "same_scan", "person_fraud"]


@pytest.mark.parametrize(("caps", "fires"), [
    ((("Сплит", 1_900, 2_000),), True),
    ((("Сплит", 1_799, 2_000),), False),
    ((("Сплит", 2_000, 2_000),), False),
    ((), False),
])
def test_just_under_a_rules_cap(caps, fires):
    signal = s.just_under_cap(facts(rule_caps=caps))
    assert (signal is not None) == fires
    if fires:
        assert (signal.code, signal.weight, signal.params["cap"]) == ("just_under_cap", 10, 2_000)
