"""Reading boards: top N, my position with neighbours, counts. Each is a range read of the board index.

Ranking: higher value first; equal values by who reached the value first, then the lower user id.
A value of zero or less is not on the board at all.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from portal.auth.models import User
from portal.extensions import db
from portal.partners.models import PartnerCompany

from .models import ContestFrozenScore, ContestScore


@dataclass
class BoardRow:
    place: int
    user_id: int
    full_name: str
    company_name: str
    value: int
    actual: int
    reached_at: datetime


def _model(frozen: bool):
    return ContestFrozenScore if frozen else ContestScore


def _in_board(model, contest_id: int, league_id: int):
    return [model.contest_id == contest_id, model.league_id == league_id, model.value > 0]


def _ranking(model):
    return (model.value.desc(), model.reached_at, model.user_id)


def _rows(model, query, first_place: int) -> list[BoardRow]:
    query = query.add_columns(User.full_name, PartnerCompany.name).join(User, User.id == model.user_id).outerjoin(
        PartnerCompany, PartnerCompany.id == model.company_id)
    return [BoardRow(first_place + i, score.user_id, name, company or "", score.value, score.actual, score.reached_at)
            for i, (score, name, company) in enumerate(
                db.session.execute(query.execution_options(populate_existing=True)))]


def top(contest_id: int, league_id: int, limit: int = 50, offset: int = 0, frozen: bool = False) -> list[BoardRow]:
    model = _model(frozen)
    # Pick the ids from the board index alone (an offset skips index entries, not joined rows), then join names.
    ids = (select(model.id).where(*_in_board(model, contest_id, league_id)).order_by(*_ranking(model))
           .limit(limit).offset(offset).subquery())
    query = select(model).join(ids, ids.c.id == model.id).order_by(*_ranking(model))
    return _rows(model, query, offset + 1)


def score_of(contest_id: int, league_id: int, user_id: int, frozen: bool = False):
    model = _model(frozen)
    return db.session.scalar(select(model).where(model.contest_id == contest_id, model.league_id == league_id,
                                                 model.user_id == user_id).execution_options(populate_existing=True))


def place_of(contest_id: int, league_id: int, score, frozen: bool = False) -> int | None:
    """1 + how many rank before this score: an indexed count, never a read of the whole board."""
    if score is None or score.value <= 0:
        return None
    model = _model(frozen)
    board = [model.contest_id == contest_id, model.league_id == league_id]

    def count(*where):
        return select(func.count()).select_from(model).where(*board, *where).scalar_subquery()

    # Three counts over three ranges of the board index (an OR of them would scan the whole board).
    ahead = db.session.scalar(select(
        count(model.value > score.value)
        + count(model.value == score.value, model.reached_at < score.reached_at)
        + count(model.value == score.value, model.reached_at == score.reached_at, model.user_id < score.user_id)))
    return ahead + 1


@dataclass
class Position:
    place: int | None
    score: object
    above: list[BoardRow]
    me: BoardRow | None
    below: list[BoardRow]


def _neighbour_ids(model, board, score, around: int, above: bool) -> list[int]:
    """The ids of up to `around` rows next to `score`, nearest first, from at most three index ranges
    (same value and moment, same value, other values): each a seek, never a walk from the top."""
    value, moment, user_id = score.value, score.reached_at, score.user_id
    if above:
        ranges = [((model.value == value, model.reached_at == moment, model.user_id < user_id), (model.user_id.desc(),)),
                  ((model.value == value, model.reached_at < moment), (model.reached_at.desc(), model.user_id.desc())),
                  ((model.value > value,), (model.value, model.reached_at.desc(), model.user_id.desc()))]
    else:
        ranges = [((model.value == value, model.reached_at == moment, model.user_id > user_id), (model.user_id,)),
                  ((model.value == value, model.reached_at > moment), (model.reached_at, model.user_id)),
                  ((model.value < value, model.value > 0), (model.value.desc(), model.reached_at, model.user_id))]
    found: list[int] = []
    for where, order in ranges:
        if len(found) == around:
            break
        found += db.session.scalars(select(model.id).where(*board, *where).order_by(*order)
                                    .limit(around - len(found))).all()
    return found


def position(contest_id: int, league_id: int, user_id: int, frozen: bool = False, around: int = 2) -> Position:
    """My place with `around` neighbours on each side: index counts and index seeks, whatever my place."""
    model = _model(frozen)
    score = score_of(contest_id, league_id, user_id, frozen)
    place = place_of(contest_id, league_id, score, frozen)
    if place is None:
        return Position(None, score, [], None, [])
    board = [model.contest_id == contest_id, model.league_id == league_id]
    above_ids = _neighbour_ids(model, board, score, around, above=True)
    below_ids = _neighbour_ids(model, board, score, around, above=False)
    rows = _rows(model, select(model).where(model.id.in_([*above_ids, score.id, *below_ids]))
                 .order_by(*_ranking(model)), place - len(above_ids))
    me = rows[len(above_ids)]
    return Position(place, score, rows[:len(above_ids)], me, rows[len(above_ids) + 1:])


def count_on_board(contest_id: int, league_id: int, frozen: bool = False) -> int:
    model = _model(frozen)
    return db.session.scalar(select(func.count()).select_from(model).where(
        *_in_board(model, contest_id, league_id))) or 0


def my_rows(contest_id: int, user_id: int, frozen: bool = False) -> list:
    """The participant's scores in every league of the contest (a move between companies may give two)."""
    model = _model(frozen)
    return list(db.session.scalars(select(model).where(model.contest_id == contest_id, model.user_id == user_id)
                                   .order_by(model.league_id).execution_options(populate_existing=True)))
