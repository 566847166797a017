"""The registry of checks and the one function that runs them all.

A check is a function without arguments returning a list of findings: each a sentence a program manager
understands (a lazy translated string, rendered in the reader's language), an empty list when all is right.
A check never changes data: one that must rebuild to compare does so in a savepoint it rolls back.
"""

import logging

from flask_babel import lazy_gettext as _l

from portal.checks import consistency, sources
from portal.checks.base import Check, Result, rolled_back
from portal.notifications.checks import unread_counter_drift
from portal.recruitment.checks import funnel_drift
from portal.referrals.checks import referral_bonus_drift

log = logging.getLogger("portal.checks")

# A check's findings beyond this many are summed up in one line (a mail, a terminal stay readable).
MAX_FINDINGS = 50


def _registry() -> list[Check]:
    return [
        Check(_l("Points ledger"), consistency.ledger_drift),
        Check(_l("Points and their sources"), sources.unjustified_credits),
        Check(_l("Contest scores and boards"), consistency.contest_drift),
        Check(_l("KPI counters"), consistency.kpi_drift),
        Check(_l("Closed KPI stages"), consistency.closed_stage_drift),
        Check(_l("KPI totals of companies and groups"), consistency.kpi_total_drift),
        Check(_l("Points issued per day"), consistency.points_day_drift),
        Check(_l("Sales plan actuals"), consistency.plan_actual_drift),
        Check(_l("Company plan actuals"), consistency.company_plan_actual_drift),
        Check(_l("Customers held by leads"), consistency.lead_holder_drift),
        Check(_l("Orders and card payments"), consistency.order_payment_drift),
        Check(_l("Unread notification counters"), unread_counter_drift),
        Check(_l("Referral bonuses"), referral_bonus_drift),
        Check(_l("Recruitment funnels"), funnel_drift),
        # Slots for the checks features bring, one line each (import the function at the top of this module):
        # Check(_l("Orders and card payments"), <shop/payments' check>),  replacing order_payment_drift above
    ]


def checks() -> list[Check]:
    """Every check of the program, in the order they run and are reported."""
    return _registry()


def run_checks(selected: list[Check] | None = None) -> list[Result]:
    """Run every check (or the ones given) and return each one's findings, capped at MAX_FINDINGS."""
    results = []
    for check in selected if selected is not None else checks():
        try:
            with rolled_back():  # whatever a check does, and a database error it meets, ends with it
                findings = list(check.run())
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide what the others found
            log.exception("Check %s could not run", check.run.__name__)
            findings = [_l("The check could not run: %(error)s", error=f"{type(exc).__name__}: {exc}")]
        if len(findings) > MAX_FINDINGS:
            more = len(findings) - MAX_FINDINGS
            findings = findings[:MAX_FINDINGS] + [_l("… and %(count)s more of the same kind.", count=more)]
        results.append(Result(check, findings))
    return results
