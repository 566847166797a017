"""The signals against planted fraud (bench/fraud.py, smaller): at least 90% of the planted fraud is held for a
second reviewer at the default thresholds while at most 5% of the honest claims are."""

from bench.fraud import KINDS, planted_program, score_all


def test_planted_fraud_is_held_and_honest_claims_mostly_are_not(db):
    labels = planted_program(11, companies=12, sellers=72, days=75)
    measured = score_all(labels)
    assert set(measured.by_kind) == set(KINDS)  # every kind is planted
    assert measured.planted >= 30 and measured.honest >= 400
    assert measured.recall >= 0.9, measured.by_kind
    assert measured.honest_held_share <= 0.05
