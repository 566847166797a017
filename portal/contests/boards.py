"""Reading boards: top N, my position with neighbours, counts. Each is a range read of the board index.

Ranking: higher value first; equal values by who reached the value first, then the lower user id.
A value of zero or less is not on the board at all.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select

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


def _ahead_of(model, value: int, reached_at: datetime, user_id: int):
    """Rows ranked before (value, reached_at, user_id)."""
    return or_(model.value > value,
               and_(model.value == value, model.reached_at < reached_at),
               and_(model.value == value, model.reached_at == reached_at, model.user_id < user_id))


def _behind(model, value: int, reached_at: datetime, user_id: int):
    return or_(model.value < value,
               and_(model.value == value, model.reached_at > reached_at),
               and_(model.value == value, model.reached_at == reached_at, model.user_id > user_id))


def _rows(model, query, first_place: int) -> list[BoardRow]:
    query = query.add_columns(User.full_name, PartnerCompany.name).join(User, User.id == model.user_id).outerjoin(
        PartnerCompany, PartnerCompany.id == model.company_id)
    return [BoardRow(first_place + i, score.user_id, name, company or "", score.value, score.actual, score.reached_at)
            for i, (score, name, company) in enumerate(
                db.session.execute(query.execution_options(populate_existing=True)))]


def top(contest_id: int, league_id: int, limit: int = 50, offset: int = 0, frozen: bool = False) -> list[BoardRow]:
    model = _model(frozen)
    query = (select(model).where(*_in_board(model, contest_id, league_id)).order_by(*_ranking(model))
             .limit(limit).offset(offset))
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
    ahead = db.session.scalar(select(func.count()).select_from(model).where(
        *_in_board(model, contest_id, league_id), _ahead_of(model, score.value, score.reached_at, score.user_id)))
    return ahead + 1


@dataclass
class Position:
    place: int | None
    score: object
    above: list[BoardRow]
    me: BoardRow | None
    below: list[BoardRow]


def position(contest_id: int, league_id: int, user_id: int, frozen: bool = False, around: int = 2) -> Position:
    """My place with `around` neighbours on each side, from four small index reads."""
    model = _model(frozen)
    score = score_of(contest_id, league_id, user_id, frozen)
    place = place_of(contest_id, league_id, score, frozen)
    if place is None:
        return Position(None, score, [], None, [])
    key = (score.value, score.reached_at, score.user_id)
    above_query = (select(model).where(*_in_board(model, contest_id, league_id), _ahead_of(model, *key))
                   .order_by(model.value, model.reached_at.desc(), model.user_id.desc()).limit(around))
    above = list(reversed(_rows(model, above_query, 0)))
    for i, row in enumerate(above):
        row.place = place - len(above) + i
    me = _rows(model, select(model).where(model.id == score.id), place)[0]
    below_query = (select(model).where(*_in_board(model, contest_id, league_id), _behind(model, *key))
                   .order_by(*_ranking(model)).limit(around))
    return Position(place, score, above, me, _rows(model, below_query, place + 1))


def count_on_board(contest_id: int, league_id: int, frozen: bool = False) -> int:
    model = _model(frozen)
    return db.session.scalar(select(func.count()).select_from(model).where(
        *_in_board(model, contest_id, league_id))) or 0


def my_rows(contest_id: int, user_id: int, frozen: bool = False) -> list:
    """The participant's scores in every league of the contest (a move between companies may give two)."""
    model = _model(frozen)
    return list(db.session.scalars(select(model).where(model.contest_id == contest_id, model.user_id == user_id)
                                   .order_by(model.league_id).execution_options(populate_existing=True)))
