"""What the contest pages share: finding a contest (and applying its clock), the boards of its leagues, labels,
and the template helpers for board values and the home page card."""

from flask import abort, request
from flask_babel import format_decimal
from flask_login import current_user

from portal.auth.models import PARTNER_ROLES
from portal.contests import boards, lookups, services
from portal.contests.exports import league_label
from portal.contests.models import (
    ENROLMENT_LABELS,
    LATE_LABELS,
    LEAGUE_MODE_LABELS,
    METRIC_LABELS,
    MONEY_METRICS,
    PLAN_PERCENT,
    STATUS_LABELS,
    TIE_BREAK_LABELS,
    Contest,
)
from portal.contests.views.blueprint import bp
from portal.core.formatting import rub
from portal.extensions import db

MAX_DB_ID = 2**31 - 1
TOP_N = 20


def bounded_arg(name: str, default=None):
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_DB_ID else default


def contest_or_404(contest_id: int) -> Contest:
    if contest_id > MAX_DB_ID:
        abort(404)
    contest = db.get_or_404(Contest, contest_id)
    if not lookups.can_view(current_user, contest):
        abort(404)
    if services.advance_contest(contest):  # the clock, applied when someone looks
        db.session.commit()
    return contest


@bp.app_template_global()
def contest_value(contest: Contest, value: int | None) -> str:
    """A board value as people read it: RUB, % of plan, or a count."""
    if value is None:
        return ""
    if contest.metric in MONEY_METRICS:
        return rub(value)
    if contest.metric == PLAN_PERCENT:
        return format_decimal(value / 100, format="#,##0.00") + "\xa0%"  # always two decimals: a board lines up
    return format_decimal(value)


bp.add_app_template_global(league_label)


@bp.app_template_global()
def my_contest_card():
    """The home page card: my best live place, or None (not a participant, or on no board)."""
    if not current_user.is_authenticated or current_user.role not in PARTNER_ROLES:
        return None
    best = lookups.best_current_place(current_user)
    return {"contest": best[0], "place": best[1]} if best else {"contest": None, "place": None}


def contest_labels() -> dict:
    return {"status": STATUS_LABELS, "enrolment": ENROLMENT_LABELS, "late": LATE_LABELS,
            "league_mode": LEAGUE_MODE_LABELS, "tie_break": TIE_BREAK_LABELS, "metric": METRIC_LABELS}


def league_boards(contest: Contest, frozen: bool, user_id: int | None = None, counted: bool = False) -> list[dict]:
    """Each league's top and, for a participant, their position. Counting a whole board is a scan of its
    index (tens of ms at 100,000 people), so only managers' pages count."""
    result = []
    mine = boards.my_rows(contest.id, user_id, frozen=frozen) if user_id is not None else []
    counts = boards.counts_on_boards(contest.id, frozen=frozen) if counted else {}
    for league in contest.leagues:
        entry = {"league": league, "top": boards.top(contest.id, league.id, TOP_N, frozen=frozen),
                 "count": counts.get(league.id, 0) if counted else None,
                 "position": None}
        if user_id is not None:
            position = boards.position(contest.id, league.id, user_id, frozen=frozen, scores=mine)
            if position.place is not None:
                entry["position"] = position
        result.append(entry)
    return result
