"""Contest scores: the rules (`rules`: who counts in which league, what an event is worth) and the rollup that
boards read (`rollup`: kept by the event receivers, rebuilt from the source with the same rules). Callers
import the names from here."""

from portal.contests.models import SCORED_STATES
from portal.contests.scoring.rollup import (
    Computed,
    bump_score,
    compute_scores,
    count_scores,
    lead_model,
    recompute_all,
    recompute_contest,
    reset_scores,
    take_freeze_snapshot,
)
from portal.contests.scoring.rules import (
    AUDIENCE,
    COMPANY,
    GROUP,
    LATE,
    NOT_ENTERED,
    NOT_PARTICIPANT,
    Scope,
    claim_amount,
    claim_day,
    claim_in_period,
    event_day,
    league_for,
    line_matches,
    moment_in_period,
    percent_of,
    period_dates,
    placement,
    prepare,
    scope_of,
    scored_contests,
)

__all__ = [
    "AUDIENCE", "COMPANY", "GROUP", "LATE", "NOT_ENTERED", "NOT_PARTICIPANT", "SCORED_STATES", "Computed", "Scope",
    "bump_score", "claim_amount", "claim_day", "claim_in_period", "compute_scores", "count_scores", "event_day",
    "lead_model", "league_for", "line_matches", "moment_in_period", "percent_of", "period_dates", "placement",
    "prepare", "scope_of", "recompute_all", "recompute_contest", "reset_scores", "scored_contests",
    "take_freeze_snapshot",
]
