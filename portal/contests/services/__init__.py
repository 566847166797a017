"""Contests, one module per job: editing them, their life from draft to final results, and who takes part.
Scores live in contests/scoring/, boards in contests/boards.py. Callers import the functions from here."""

from portal.contests.services.editing import EDITABLE_WHILE_RUNNING, ContestData, data_of, save_contest
from portal.contests.services.lifecycle import (
    CONTEST_FROZEN,
    CONTEST_UNFROZEN,
    AlreadyFinalised,
    advance_contest,
    cancel_contest,
    due_contests,
    finalise_contest,
    freeze_contest,
    publish_contest,
    unfreeze_contest,
    unpublish_contest,
    winners_of,
)
from portal.contests.services.participation import (
    contests_using_group,
    eligible_people,
    has_joined,
    join_contest,
    may_take_part,
    rescore_group_contests,
)

__all__ = [
    "CONTEST_FROZEN", "CONTEST_UNFROZEN", "EDITABLE_WHILE_RUNNING", "AlreadyFinalised", "ContestData",
    "advance_contest", "cancel_contest", "contests_using_group", "data_of", "due_contests", "eligible_people",
    "finalise_contest", "freeze_contest", "has_joined", "join_contest", "may_take_part", "publish_contest",
    "rescore_group_contests", "save_contest", "unfreeze_contest", "unpublish_contest", "winners_of",
]
