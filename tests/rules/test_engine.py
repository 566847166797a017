"""The points calculation as tables: inputs, rules, expected points. 1 point = 1 RUB unless said."""

from datetime import date
from decimal import Decimal

import pytest

from portal.rules.engine import ClaimInput, LineInput, RuleSpec, calculate, total_points

D = Decimal
# A split system: price 50,000 RUB, cost 40,000 RUB (margin 10,000); a pipe: price 1,000, cost 700.
SPLIT = LineInput(product_id=1, category="Сплит-системы", quantity=2, unit_price_kopecks=5_000_000,
                  unit_cost_kopecks=4_000_000)
PIPE = LineInput(product_id=2, category="Монтаж", quantity=10, unit_price_kopecks=100_000, unit_cost_kopecks=70_000)
LOSS = LineInput(product_id=3, category="Монтаж", quantity=1, unit_price_kopecks=50_000, unit_cost_kopecks=80_000)


def claim(*lines, audience="manager", company_id=7, on=date(2026, 6, 15)):
    return ClaimInput(audience=audience, company_id=company_id, invoice_date=on, lines=lines)


def rule(id, kind, value, **scope):
    return RuleSpec(id=id, name=f"rule {id}", kind=kind, value=D(value), **{
        k: frozenset(v) if k in ("product_ids", "categories", "company_ids", "group_ids") else v
        for k, v in scope.items()
    })


@pytest.mark.parametrize(
    ("lines", "rules", "expected"),
    [
        # per unit: 2 splits x 150
        ((SPLIT,), [rule(1, "per_unit", 150)], {1: 300}),
        # % of revenue: 1% of 100,000 RUB
        ((SPLIT,), [rule(1, "revenue_pct", 1)], {1: 1000}),
        # % of margin: 10% of 20,000 RUB margin: profit, not turnover
        ((SPLIT,), [rule(1, "margin_pct", 10)], {1: 2000}),
        # a sale at a loss earns no margin points, and never negative ones
        ((LOSS,), [rule(1, "margin_pct", 10)], {}),
        # fixed per claim: once, whatever the lines
        ((SPLIT, PIPE), [rule(1, "fixed_per_claim", 250)], {1: 250}),
        # scope by product and by category
        ((SPLIT, PIPE), [rule(1, "per_unit", 5, product_ids={2})], {1: 50}),
        ((SPLIT, PIPE), [rule(1, "per_unit", 5, categories={"Сплит-системы"})], {1: 10}),
        # stacking rules add up
        ((SPLIT,), [rule(1, "per_unit", 100), rule(2, "margin_pct", 5)], {1: 200, 2: 1000}),
        # of two exclusive rules only the higher priority counts; a stacking one still adds
        ((SPLIT,), [rule(1, "per_unit", 100, stackable=False, priority=50),
                    rule(2, "per_unit", 300, stackable=False, priority=90),
                    rule(3, "fixed_per_claim", 10)], {2: 600, 3: 10}),
        # campaign multiplier: double points on a category; the extra shows as the campaign's award
        ((SPLIT, PIPE), [rule(1, "per_unit", 100), rule(9, "multiplier", 2, categories={"Сплит-системы"})],
         {1: 1200, 9: 200}),
        # two multipliers: the larger factor counts, they never compound
        ((SPLIT,), [rule(1, "per_unit", 100), rule(8, "multiplier", 2), rule(9, "multiplier", 3)], {1: 200, 9: 400}),
        # caps per claim
        ((SPLIT, PIPE), [rule(1, "per_unit", 100, cap_per_claim=500)], {1: 500}),
        # what is left of a period cap
        ((SPLIT,), [rule(1, "per_unit", 100, period_cap_left=150)], {1: 150}),
        ((SPLIT,), [rule(1, "per_unit", 100, period_cap_left=0)], {}),
        # scope by audience, company and date window
        ((SPLIT,), [rule(1, "per_unit", 100, audience="specialist")], {}),
        ((SPLIT,), [rule(1, "per_unit", 100, company_ids={8})], {}),
        ((SPLIT,), [rule(1, "per_unit", 100, valid_from=date(2026, 7, 1))], {}),
        ((SPLIT,), [rule(1, "per_unit", 100, valid_to=date(2026, 6, 15))], {1: 200}),
    ],
)
def test_points(lines, rules, expected):
    awards = calculate(claim(*lines), rules, point_value_kopecks=100)
    assert {a.rule_id: a.points for a in awards} == expected
    assert total_points(awards) == sum(expected.values())


@pytest.mark.parametrize(
    ("price_kopecks", "percent", "point_value", "points"),
    [
        (10_050, "1", 100, 1),  # 1.005 points: half up -> 1
        (15_000, "1", 100, 2),  # 1.5 -> 2
        (14_999, "1", 100, 1),  # 1.4999 -> 1
        (100_000, "2.5", 100, 25),
        (100_000, "10", 50, 200),  # a point worth 0.50 RUB: twice the points
    ],
)
def test_rounding_is_half_up_to_whole_points(price_kopecks, percent, point_value, points):
    line = LineInput(1, "X", 1, price_kopecks, 0)
    awards = calculate(claim(line), [rule(1, "revenue_pct", percent)], point_value_kopecks=point_value)
    assert total_points(awards) == points


def test_each_line_is_rounded_on_its_own():
    lines = tuple(LineInput(i, "X", 1, 150, 0) for i in range(3))  # 1.5 points each
    awards = calculate(claim(*lines), [rule(1, "revenue_pct", 100)], point_value_kopecks=100)
    assert total_points(awards) == 6  # 2 + 2 + 2, not round(4.5)


# --- scope by partner group: the caller passes the company's groups on the invoice date ------------


@pytest.mark.parametrize(("rule_groups", "claim_groups", "applies"), [
    ((), (), True),  # no group scope: every company
    ((), (5,), True),
    ((5,), (5,), True),
    ((5, 6), (6, 9), True),  # one shared group is enough
    ((5,), (), False),  # the company was in no group
    ((5,), (6,), False),
])
def test_rules_scoped_by_partner_group(rule_groups, claim_groups, applies):
    scoped = rule(1, "per_unit", 100, group_ids=rule_groups)
    sale = ClaimInput(audience="manager", company_id=7, invoice_date=date(2026, 6, 15), lines=(SPLIT,),
                      group_ids=frozenset(claim_groups))
    assert total_points(calculate(sale, [scoped], 100)) == (200 if applies else 0)
