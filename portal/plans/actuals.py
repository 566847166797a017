"""Plan actuals: what each participant, and each partner company, sold per calendar month, from approved claims.

Actuals are the participant's approved claims whose invoice date falls in the month, counted when
approved and taken back when reversed. They are kept per person and month in PlanActual by the claim
events (plans/events.py), in the same transaction, so a page reads one row per person and month;
`recompute_actuals()` rebuilds them from the claims and reports any drift (`flask plans recompute`).

A company's month (CompanyPlanActual, for company plans) counts the claims recorded for the company: the one the
seller belonged to on the invoice date (claims take it from partners.history when saved), whoever sold and
wherever they work now; a reversal takes back from the same company. `recompute_company_actuals()` rebuilds it.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.claims.models import APPROVED, Claim, ClaimLine
from portal.extensions import db
from portal.plans.models import (
    APPROVED_CLAIMS,
    MARGIN,
    METRICS,
    SALES_AMOUNT,
    UNITS,
    CompanyPlanActual,
    PlanActual,
)
from portal.plans.periods import Period, month_start


def claim_totals(claim) -> dict[str, int]:
    """What one claim adds to its participant's month: revenue, units, margin (never below zero per line)."""
    return {
        SALES_AMOUNT: sum(line.quantity * line.unit_price_kopecks for line in claim.lines),
        UNITS: sum(line.quantity for line in claim.lines),
        MARGIN: sum(max(0, line.quantity * (line.unit_price_kopecks - line.unit_cost_kopecks)) for line in claim.lines),
        APPROVED_CLAIMS: 1,
    }


def _add(model, key: dict, month: date, amounts: dict[str, int], sign: int) -> None:
    """INSERT ... ON CONFLICT DO UPDATE adds to the row in one statement, so two approvals at once both count."""
    values = {metric: sign * amounts.get(metric, 0) for metric in METRICS}
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(model).values(**key, month=month_start(month), **values)
    statement = statement.on_conflict_do_update(
        index_elements=[*key, "month"],
        set_={metric: getattr(model, metric) + statement.excluded[metric] for metric in METRICS},
    )
    db.session.execute(statement)


def add_to_actuals(user_id: int, month: date, amounts: dict[str, int], sign: int = 1) -> None:
    """Add (or with sign -1 take back) amounts to a person's month, atomically on both engines."""
    _add(PlanActual, {"user_id": user_id}, month, amounts, sign)


def add_to_company_actuals(company_id: int, month: date, amounts: dict[str, int], sign: int = 1) -> None:
    """Add (or with sign -1 take back) amounts to a company's month, atomically on both engines."""
    _add(CompanyPlanActual, {"company_id": company_id}, month, amounts, sign)


def record_claim(claim, sign: int) -> None:
    """An approved sale (sign +1) or its reversal (-1): its seller's month and its company's month."""
    totals = claim_totals(claim)
    add_to_actuals(claim.user_id, claim.invoice_date, totals, sign)
    if claim.company_id is not None:
        add_to_company_actuals(claim.company_id, claim.invoice_date, totals, sign)


@dataclass
class Drift:
    user_id: int
    month: date
    metric: str
    stored: int
    actual: int


def actuals_from_claims(by=Claim.user_id) -> dict[tuple[int, date], dict[str, int]]:
    """Every person's (or with `by=Claim.company_id`, company's) monthly actuals from the approved claims."""
    margin = case((ClaimLine.unit_price_kopecks > ClaimLine.unit_cost_kopecks,
                   ClaimLine.quantity * (ClaimLine.unit_price_kopecks - ClaimLine.unit_cost_kopecks)), else_=0)
    rows = db.session.execute(
        select(by, Claim.invoice_date, func.count(func.distinct(Claim.id)),
               func.sum(ClaimLine.quantity * ClaimLine.unit_price_kopecks), func.sum(ClaimLine.quantity),
               func.sum(margin))
        .join(ClaimLine, ClaimLine.claim_id == Claim.id)
        .where(Claim.status == APPROVED)
        .group_by(by, Claim.invoice_date)
    )
    totals: dict[tuple[int, date], dict[str, int]] = {}
    for owner_id, invoice_date, claims, sales, units, margin_sum in rows:
        bucket = totals.setdefault((owner_id, month_start(invoice_date)), dict.fromkeys(METRICS, 0))
        bucket[APPROVED_CLAIMS] += int(claims)
        bucket[SALES_AMOUNT] += int(sales or 0)
        bucket[UNITS] += int(units or 0)
        bucket[MARGIN] += int(margin_sum or 0)
    return totals


def recompute_actuals(fix: bool = True) -> list[Drift]:
    """Compare the stored monthly actuals of people with the claims; with `fix`, rewrite the rows that drifted."""
    return _recompute(PlanActual, "user_id", actuals_from_claims(), fix)


def recompute_company_actuals(fix: bool = True) -> list[Drift]:
    """Compare the stored monthly actuals of companies with the claims; with `fix`, rewrite the rows that drifted.
    A drift's `user_id` is then the company's id."""
    return _recompute(CompanyPlanActual, "company_id", actuals_from_claims(Claim.company_id), fix)


def _recompute(model, owner: str, truth: dict, fix: bool) -> list[Drift]:
    stored = {(getattr(row, owner), row.month): row for row in db.session.scalars(select(model))}
    drifts = []
    for key in sorted(set(truth) | set(stored)):
        expected = truth.get(key, dict.fromkeys(METRICS, 0))
        row = stored.get(key)
        found = [Drift(key[0], key[1], metric, getattr(row, metric) if row is not None else 0, expected[metric])
                 for metric in METRICS if (getattr(row, metric) if row is not None else 0) != expected[metric]]
        drifts.extend(found)
        if fix and found:
            if row is None:
                row = model(**{owner: key[0]}, month=key[1])
                db.session.add(row)
            for metric in METRICS:
                setattr(row, metric, expected[metric])
    db.session.flush()
    return drifts


def actuals_for(user_ids: list[int], period: Period) -> dict[int, dict[str, int]]:
    """Each person's actuals over a period, from the monthly rows: one indexed read."""
    result: dict[int, dict[str, int]] = {}
    if not user_ids:
        return result
    rows = db.session.execute(
        select(PlanActual.user_id, *[func.sum(getattr(PlanActual, m)) for m in METRICS])
        .where(PlanActual.user_id.in_(user_ids), PlanActual.month >= period.start, PlanActual.month <= period.end)
        .group_by(PlanActual.user_id))
    for user_id, *sums in rows:
        result[user_id] = {m: int(v or 0) for m, v in zip(METRICS, sums, strict=True)}
    return result


def company_actuals_for(company_ids: list[int], period: Period) -> dict[int, dict[str, int]]:
    """Each company's actuals over a period, from its monthly rows: one indexed read."""
    result: dict[int, dict[str, int]] = {}
    if not company_ids:
        return result
    rows = db.session.execute(
        select(CompanyPlanActual.company_id, *[func.sum(getattr(CompanyPlanActual, m)) for m in METRICS])
        .where(CompanyPlanActual.company_id.in_(company_ids), CompanyPlanActual.month >= period.start,
               CompanyPlanActual.month <= period.end)
        .group_by(CompanyPlanActual.company_id))
    for company_id, *sums in rows:
        result[company_id] = {m: int(v or 0) for m, v in zip(METRICS, sums, strict=True)}
    return result
