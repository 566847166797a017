"""Plan actuals: what each participant sold per calendar month, from their approved claims.

Actuals are the participant's approved claims whose invoice date falls in the month, counted when
approved and taken back when reversed. They are kept per person and month in PlanActual by the claim
events (plans/events.py), in the same transaction, so a page reads one row per person and month;
`recompute_actuals()` rebuilds them from the claims and reports any drift (`flask plans recompute`).
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.claims.models import APPROVED, Claim, ClaimLine
from portal.extensions import db
from portal.plans.models import APPROVED_CLAIMS, MARGIN, METRICS, SALES_AMOUNT, UNITS, PlanActual
from portal.plans.periods import Period, month_start


def claim_totals(claim) -> dict[str, int]:
    """What one claim adds to its participant's month: revenue, units, margin (never below zero per line)."""
    return {
        SALES_AMOUNT: sum(line.quantity * line.unit_price_kopecks for line in claim.lines),
        UNITS: sum(line.quantity for line in claim.lines),
        MARGIN: sum(max(0, line.quantity * (line.unit_price_kopecks - line.unit_cost_kopecks)) for line in claim.lines),
        APPROVED_CLAIMS: 1,
    }


def add_to_actuals(user_id: int, month: date, amounts: dict[str, int], sign: int = 1) -> None:
    """Add (or with sign -1 take back) amounts to a person's month, atomically on both engines.

    INSERT ... ON CONFLICT DO UPDATE adds to the row in one statement, so two approvals of the same
    person's claims at once both count."""
    values = {metric: sign * amounts.get(metric, 0) for metric in METRICS}
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(PlanActual).values(user_id=user_id, month=month_start(month), **values)
    statement = statement.on_conflict_do_update(
        index_elements=["user_id", "month"],
        set_={metric: getattr(PlanActual, metric) + statement.excluded[metric] for metric in METRICS},
    )
    db.session.execute(statement)


def record_claim(claim, sign: int) -> None:
    add_to_actuals(claim.user_id, claim.invoice_date, claim_totals(claim), sign)


@dataclass
class Drift:
    user_id: int
    month: date
    metric: str
    stored: int
    actual: int


def actuals_from_claims() -> dict[tuple[int, date], dict[str, int]]:
    """Every person's monthly actuals computed from the approved claims themselves."""
    margin = case((ClaimLine.unit_price_kopecks > ClaimLine.unit_cost_kopecks,
                   ClaimLine.quantity * (ClaimLine.unit_price_kopecks - ClaimLine.unit_cost_kopecks)), else_=0)
    rows = db.session.execute(
        select(Claim.user_id, Claim.invoice_date, func.count(func.distinct(Claim.id)),
               func.sum(ClaimLine.quantity * ClaimLine.unit_price_kopecks), func.sum(ClaimLine.quantity),
               func.sum(margin))
        .join(ClaimLine, ClaimLine.claim_id == Claim.id)
        .where(Claim.status == APPROVED)
        .group_by(Claim.user_id, Claim.invoice_date)
    )
    totals: dict[tuple[int, date], dict[str, int]] = {}
    for user_id, invoice_date, claims, sales, units, margin_sum in rows:
        bucket = totals.setdefault((user_id, month_start(invoice_date)), dict.fromkeys(METRICS, 0))
        bucket[APPROVED_CLAIMS] += int(claims)
        bucket[SALES_AMOUNT] += int(sales or 0)
        bucket[UNITS] += int(units or 0)
        bucket[MARGIN] += int(margin_sum or 0)
    return totals


def recompute_actuals(fix: bool = True) -> list[Drift]:
    """Compare the stored monthly actuals with the claims; with `fix`, rewrite the rows that drifted."""
    truth = actuals_from_claims()
    stored = {(row.user_id, row.month): row for row in db.session.scalars(select(PlanActual))}
    drifts = []
    for key in sorted(set(truth) | set(stored)):
        expected = truth.get(key, dict.fromkeys(METRICS, 0))
        row = stored.get(key)
        found = [Drift(key[0], key[1], metric, getattr(row, metric) if row is not None else 0, expected[metric])
                 for metric in METRICS if (getattr(row, metric) if row is not None else 0) != expected[metric]]
        drifts.extend(found)
        if fix and found:
            if row is None:
                row = PlanActual(user_id=key[0], month=key[1])
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
