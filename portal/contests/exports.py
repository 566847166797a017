"""A contest's full board as a table: sent at once when small, written by the worker when large."""

from flask_babel import gettext as _

from portal.auth.models import AUDIENCE_SHORT_LABELS
from portal.core.exports import DATETIME, INT, MONEY, NUMBER, PERCENT, Column, Table, export_builder
from portal.extensions import db

from . import boards
from .models import MONEY_METRICS, PLAN_PERCENT, Contest

CHUNK = 5000


def league_label(league) -> str:
    if league.audience:
        return str(AUDIENCE_SHORT_LABELS[league.audience])
    return league.name or _("All participants")


@export_builder("contest-board")
def board_table(params: dict) -> Table:
    """params: contest_id. Every league's board in ranking order, read in chunks of the board index."""
    contest = db.session.get(Contest, int(params["contest_id"]))
    leagues = list(contest.leagues)
    total = sum(boards.counts_on_boards(contest.id).values())
    value_kind = MONEY if contest.metric in MONEY_METRICS else PERCENT if contest.metric == PLAN_PERCENT else NUMBER

    def rows():
        for league in leagues:
            label, offset = league_label(league), 0
            while chunk := boards.top(contest.id, league.id, CHUNK, offset=offset):
                for row in chunk:
                    yield (label, row.place, row.full_name, row.company_name,
                           row.value / 100 if value_kind == PERCENT else row.value, row.reached_at)
                offset += len(chunk)

    return Table(filename=f"contest-{contest.id}-board", sheet_title=_("Board"),
                 header=[Column(_("League")), Column(_("Place"), INT), Column(_("Participant")), Column(_("Company")),
                         Column(_("Value"), value_kind), Column(_("Reached at"), DATETIME)],
                 rows=rows(), total=total)
