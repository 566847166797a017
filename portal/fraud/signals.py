"""The signals: small pure functions of a claim's facts (gathered by `facts.py`), each answering a Signal or None.

A Signal is a code (its explanation is translated when shown, `explain.py`), a weight (points of the 0-100
score), the parameters the explanation names, and the other claims it points to. The score is the sum of the
weights, at most 100. Strong signals hold a claim on their own (weight 50 or more with the default hold line);
weak ones (a round sum, a weekend date) only add up.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median

WEEKDAY_HOLIDAYS = {(1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (1, 7), (1, 8), (2, 23), (3, 8), (5, 1), (5, 9),
                    (6, 12), (11, 4)}  # Russia's fixed public holidays


@dataclass(frozen=True)
class Signal:
    code: str
    weight: int
    params: dict = field(default_factory=dict)
    claims: tuple[int, ...] = ()

    def as_json(self) -> dict:
        return {"code": self.code, "weight": self.weight, "params": self.params, "claims": list(self.claims)}


@dataclass(frozen=True)
class Line:
    product_id: int
    sku: str
    quantity: int
    unit_price_kopecks: int
    list_price_kopecks: int


@dataclass
class Facts:
    """What the signals read about one claim and what came before it (everything earlier than its submission)."""

    claim_id: int = 0
    user_id: int = 0
    company_id: int = 0
    seller_inn: str = ""
    own_inns: frozenset = frozenset()  # the seller company's INN on the invoice date and the person's company now
    customer_inn: str | None = None
    invoice_number: str = ""
    invoice_date: date = date(2026, 1, 5)
    submitted_at: datetime = datetime(2026, 1, 5, 12)
    total_kopecks: int = 0
    lines: tuple[Line, ...] = ()
    large_sale_kopecks: int = 30_000_000
    # documents
    same_scan: tuple[int, ...] = ()  # other claims with the very same file
    near_scans: tuple[tuple[int, bool], ...] = ()  # (claim, by the same seller) with a near-identical image
    # (claim, of the same company, with the same invoice date) whose PDF's text is nearly this one's
    near_texts: tuple[tuple[int, bool, bool], ...] = ()
    same_invoice: tuple[int, ...] = ()  # other claims of the same seller INN, number and date
    number_other_date: tuple[tuple[int, date], ...] = ()  # the same number of the same seller with another date
    company_numbers: tuple[tuple[int, date], ...] = ()  # the seller company's recent invoice numbers and dates
    company_days: tuple[date, ...] = ()  # the seller company's recent invoice dates
    company_totals: tuple[int, ...] = ()  # the seller company's recent claim totals
    # amounts
    usual_prices: dict = field(default_factory=dict)  # product id -> the company's recent prices
    person_claims: int = 0  # the person's earlier claims
    person_days: int = 10_000  # days since the person registered
    person_max_quantity: int = 0
    person_max_total: int = 0
    person_just_under: tuple[int, ...] = ()  # the person's claims of the last 30 days just under the large sale
    # (rule name, the points the claim earns by it, the rule's cap per claim) for each capped rule it earns by
    rule_caps: tuple[tuple[str, int, int], ...] = ()
    # people and customers
    customer_company: tuple[int, str] | None = None  # a participating company whose INN is the customer's
    customer_other_partners: tuple[tuple[int, int], ...] = ()  # (claim, company) of other companies, +-14 days
    person_times: tuple[datetime, ...] = ()  # the person's earlier submissions, last 90 days
    person_recent: tuple[int, ...] = ()  # the person's claims of the last 24 hours
    company_times: tuple[datetime, ...] = ()  # the company's earlier submissions, last 90 days
    contest_deadline: tuple[str, float] | None = None  # (contest title, hours left) when a deadline is near
    # history
    person_fraud: tuple[int, ...] = ()
    company_fraud: tuple[int, ...] = ()


# --- documents ---------------------------------------------------------------------------------------------------

def same_scan(facts: Facts) -> Signal | None:
    if facts.same_scan:
        return Signal("same_scan", 60, {"count": len(facts.same_scan)}, facts.same_scan)
    return None


def near_duplicate_scan(facts: Facts) -> Signal | None:
    others = tuple(claim for claim, same_seller in facts.near_scans if not same_seller)
    if others:
        return Signal("near_scan_other", 50, {"count": len(others)}, others)
    mine = tuple(claim for claim, _ in facts.near_scans)
    if mine:
        return Signal("near_scan_same", 25, {"count": len(mine)}, mine)
    return None


def near_duplicate_text(facts: Facts) -> Signal | None:
    """The PDF's text is nearly that of another claim's PDF. Of another company: someone else's invoice reused (an
    honest repeat order is invoiced by the same company). Of the same company only with the same invoice date (the
    same invoice renumbered): a regular customer's repeat order has the same text but another number and date."""
    others = tuple(claim for claim, same_company, _ in facts.near_texts if not same_company)
    if others:
        return Signal("near_text_other", 50, {"count": len(others)}, others)
    renumbered = tuple(claim for claim, same_company, same_day in facts.near_texts if same_company and same_day)
    if renumbered:
        return Signal("near_text_same", 25, {"count": len(renumbered)}, renumbered)
    return None


def same_invoice(facts: Facts) -> Signal | None:
    if facts.same_invoice:
        return Signal("same_invoice", 60, {"count": len(facts.same_invoice)}, facts.same_invoice)
    return None


def number_reused(facts: Facts) -> Signal | None:
    """The seller's invoice number claimed before with another date (numbering restarts yearly: 180 days)."""
    near = tuple((claim, day) for claim, day in facts.number_other_date
                 if abs((day - facts.invoice_date).days) <= 180)
    if near:
        return Signal("number_reused", 50, {"number": facts.invoice_number, "date": near[0][1].isoformat()},
                      tuple(claim for claim, _ in near))
    return None


def invoice_number_value(number: str) -> int | None:
    """The running part of an invoice number: its last group of digits (up to 12)."""
    groups = re.findall(r"\d+", number or "")
    if not groups or len(groups[-1]) > 12:
        return None
    return int(groups[-1])


def out_of_sequence(facts: Facts) -> Signal | None:
    """Far ahead of the company's recent numbers, or far behind them with a newer date."""
    value = invoice_number_value(facts.invoice_number)
    history = sorted(facts.company_numbers)
    if value is None or len(history) < 8:
        return None
    numbers = [number for number, _ in history]
    steps = [b - a for a, b in zip(numbers, numbers[1:], strict=False) if b > a]
    step = max(1, int(median(steps))) if steps else 1
    margin = 20 * step + 50
    if value > numbers[-1] + margin:
        return Signal("number_ahead", 30, {"number": facts.invoice_number, "last": numbers[-1]})
    newest = max(day for _, day in history)
    if value < numbers[0] - margin and facts.invoice_date >= newest:
        return Signal("number_behind", 30, {"number": facts.invoice_number, "first": numbers[0]})
    return None


def is_day_off(day: date) -> bool:
    return day.weekday() >= 5 or (day.month, day.day) in WEEKDAY_HOLIDAYS


def day_off(facts: Facts) -> Signal | None:
    """Dated on a weekend or holiday by a company with 20 or more recent sales, none of them on such a day."""
    if not is_day_off(facts.invoice_date) or len(facts.company_days) < 20:
        return None
    if any(is_day_off(day) for day in facts.company_days):
        return None
    return Signal("day_off", 20, {"date": facts.invoice_date.isoformat(), "count": len(facts.company_days)})


# --- amounts -----------------------------------------------------------------------------------------------------

def is_round(total: int) -> bool:
    return total >= 5_000_000 and total % 1_000_000 == 0


def round_sum(facts: Facts) -> Signal | None:
    """A total in whole tens of thousands of roubles (50,000 or more) with round unit prices, from a company whose
    ten or more recent claims were rarely round (under one in five)."""
    if not is_round(facts.total_kopecks) or any(line.unit_price_kopecks % 100_000 for line in facts.lines):
        return None
    if len(facts.company_totals) < 10 or sum(map(is_round, facts.company_totals)) >= len(facts.company_totals) / 5:
        return None
    return Signal("round_sum", 25, {"total": facts.total_kopecks})


def catalogue_price(facts: Facts) -> Signal | None:
    """Above twice the catalogue price (three times or more holds the claim), or under 0.4 of it (which earns no
    more points, so weighs less)."""
    found = None
    for line in facts.lines:
        ratio = line.unit_price_kopecks / line.list_price_kopecks if line.list_price_kopecks > 0 else 1
        if not 0.4 <= ratio <= 2:
            weight = 50 if ratio >= 3 else 30 if ratio > 2 else 20
            if found is None or weight > found.weight:
                found = Signal("catalogue_price", weight, {"sku": line.sku, "price": line.unit_price_kopecks,
                                                            "list": line.list_price_kopecks})
    return found


def usual_price(facts: Facts) -> Signal | None:
    """Far from what the company's own recent lines of the product cost (five lines at least)."""
    for line in facts.lines:
        prices = facts.usual_prices.get(line.product_id) or ()
        if len(prices) < 5:
            continue
        usual = median(prices)
        if usual > 0 and not (0.6 <= line.unit_price_kopecks / usual <= 1.6):
            return Signal("usual_price", 20, {"sku": line.sku, "price": line.unit_price_kopecks,
                                               "usual": int(usual)})
    return None


def quantity_spike(facts: Facts) -> Signal | None:
    if facts.person_claims < 3 or not facts.lines:
        return None
    quantity = max(line.quantity for line in facts.lines)
    if quantity > max(10, 4 * facts.person_max_quantity):
        return Signal("quantity_spike", 30, {"quantity": quantity, "usual": facts.person_max_quantity})
    return None


def amount_spike(facts: Facts) -> Signal | None:
    if facts.person_claims < 3 or facts.person_max_total <= 0:
        return None
    if facts.total_kopecks > 5 * facts.person_max_total:
        return Signal("amount_spike", 20, {"total": facts.total_kopecks, "usual": facts.person_max_total})
    return None


def just_under(facts: Facts) -> Signal | None:
    """Just under the large-sale line (within 10%); four such claims of a person in 30 days look like a split sale."""
    line = facts.large_sale_kopecks
    if not (0.9 * line <= facts.total_kopecks < line):
        return None
    if len(facts.person_just_under) >= 3:
        return Signal("just_under_repeated", 50, {"line": line, "count": len(facts.person_just_under) + 1},
                      facts.person_just_under)
    return Signal("just_under", 15, {"line": line})


def just_under_cap(facts: Facts) -> Signal | None:
    """The points a rule gives the claim land just under the rule's cap per claim (90% of it or more, not capped):
    a sale shaped to take the most a rule gives. Weak alone (an honest sale can land there)."""
    for rule, points, cap in facts.rule_caps:
        if cap > 0 and 0.9 * cap <= points < cap:
            return Signal("just_under_cap", 10, {"rule": rule, "points": points, "cap": cap})
    return None


# --- people and customers ----------------------------------------------------------------------------------------

def customer_is_participant(facts: Facts) -> Signal | None:
    if not facts.customer_inn:
        return None
    if facts.customer_inn in facts.own_inns:
        return Signal("own_company", 70, {"inn": facts.customer_inn})
    if facts.customer_company is not None:
        return Signal("participant_company", 50, {"inn": facts.customer_inn, "company": facts.customer_company[1]})
    return None


def customer_many_partners(facts: Facts) -> Signal | None:
    companies = {company for _, company in facts.customer_other_partners}
    if len(companies) < 2:
        return None
    weight = 50 if len(companies) >= 3 else 30
    return Signal("customer_many_partners", weight, {"inn": facts.customer_inn, "count": len(companies) + 1},
                  tuple(claim for claim, _ in facts.customer_other_partners))


def new_participant_large(facts: Facts) -> Signal | None:
    """A large sale among the first three claims of someone registered in the last 90 days."""
    if facts.person_days <= 90 and facts.person_claims < 3 and facts.total_kopecks >= facts.large_sale_kopecks:
        return Signal("new_large", 35, {"total": facts.total_kopecks, "earlier": facts.person_claims})
    return None


def _burst(now: datetime, times: tuple[datetime, ...]) -> tuple[int, float]:
    """Claims in the last 24 hours (this one included), and the usual count per day with claims before that; no
    burst without five earlier claims to compare with (a newcomer's first day is not a burst)."""
    since = now - timedelta(hours=24)
    recent = 1 + sum(1 for moment in times if moment >= since)
    days = {moment.date() for moment in times if moment < since}
    before = sum(1 for moment in times if moment < since)
    if before < 5:
        return 0, 1.0
    return recent, before / len(days)


def velocity(facts: Facts) -> Signal | None:
    recent, usual = _burst(facts.submitted_at, facts.person_times)
    if recent >= 8 and recent >= 4 * usual:
        return Signal("velocity", 50, {"count": recent, "usual": round(usual, 1)}, facts.person_recent)
    if recent >= 5 and recent >= 4 * usual:
        return Signal("velocity", 30, {"count": recent, "usual": round(usual, 1)})
    recent, usual = _burst(facts.submitted_at, facts.company_times)
    if recent >= 10 and recent >= 4 * usual:
        return Signal("company_velocity", 20, {"count": recent, "usual": round(usual, 1)})
    return None


def contest_deadline(facts: Facts) -> Signal | None:
    if facts.contest_deadline is None:
        return None
    title, hours = facts.contest_deadline
    return Signal("contest_deadline", 25, {"contest": title, "hours": max(1, round(hours))})


# --- history -----------------------------------------------------------------------------------------------------

def fraud_history(facts: Facts) -> Signal | None:
    if facts.person_fraud:
        return Signal("person_fraud", 30, {"count": len(facts.person_fraud)}, facts.person_fraud)
    if facts.company_fraud:
        return Signal("company_fraud", 15, {"count": len(facts.company_fraud)}, facts.company_fraud)
    return None


SIGNALS = (same_scan, near_duplicate_scan, near_duplicate_text, same_invoice, number_reused, out_of_sequence,
           day_off, round_sum, catalogue_price, usual_price, quantity_spike, amount_spike, just_under, just_under_cap,
           customer_is_participant, customer_many_partners, new_participant_large, velocity, contest_deadline,
           fraud_history)


def evaluate(facts: Facts) -> tuple[int, list[Signal]]:
    """The score (0-100) and the signals that made it, strongest first."""
    found = [signal for check in SIGNALS if (signal := check(facts)) is not None]
    found.sort(key=lambda signal: (-signal.weight, signal.code))
    return min(100, sum(signal.weight for signal in found)), found
