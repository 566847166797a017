"""Reading boards: top N, my position with neighbours, counts. Each is a range read of the board index.

Ranking: higher value first; equal values by who reached the value first, then the lower user id.
A value of zero or less is not on the board at all.
"""

import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, bindparam, delete, func, insert, select, text

from portal.auth.models import User
from portal.extensions import db
from portal.partners.models import PartnerCompany

from .models import ContestBoardBucket, ContestFrozenScore, ContestScore, board_bucket, bucket_ceiling


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
    """The board rows `query` (a select of the score model) picks, as plain rows: the columns shown, never the
    score objects (building those cost most of a contest page)."""
    query = query.with_only_columns(model.user_id, User.full_name, PartnerCompany.name, model.value, model.actual,
                                    model.reached_at).join(User, User.id == model.user_id).outerjoin(
        PartnerCompany, PartnerCompany.id == model.company_id)
    return [BoardRow(first_place + i, user_id, name, company or "", value, actual, reached_at)
            for i, (user_id, name, company, value, actual, reached_at) in enumerate(db.session.execute(query))]


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


# The two statements a "my position" read needs, as SQL built once per table: building them as expressions
# on every call costs more Python time than the database spends answering them.
_BOARD = "contest_id = :c AND league_id = :l"


@functools.cache
def _place_sql(table: str):
    """The rows ranked before mine: everyone in the buckets above mine (a sum over the bucket counts the
    triggers keep), then three counts over three short ranges of the board index inside my bucket (an OR of
    the three conditions would scan the whole board)."""
    return text(
        "SELECT (SELECT coalesce(sum(n), 0) FROM contest_board_buckets WHERE contest_id = :c AND league_id = :l"
        " AND frozen = :f AND bucket > :b)"
        f" + (SELECT count(*) FROM {table} WHERE {_BOARD} AND value > :v AND value < :top)"
        f" + (SELECT count(*) FROM {table} WHERE {_BOARD} AND value = :v AND reached_at < :r)"
        f" + (SELECT count(*) FROM {table} WHERE {_BOARD} AND value = :v AND reached_at = :r AND user_id < :u)"
    ).bindparams(bindparam("r", type_=DateTime), bindparam("f", type_=Boolean))


@functools.cache
def _neighbours_sql(table: str):
    """Up to :k rows on each side of mine, from six index seeks (same value and moment, same value, other
    values; above, then below), never a walk from the top of the board."""
    ranges = [
        ("value = :v AND reached_at = :r AND user_id < :u", "user_id DESC"),
        ("value = :v AND reached_at < :r", "reached_at DESC, user_id DESC"),
        ("value > :v", "value, reached_at DESC, user_id DESC"),
        ("value = :v AND reached_at = :r AND user_id > :u", "user_id"),
        ("value = :v AND reached_at > :r", "reached_at, user_id"),
        ("value < :v AND value > 0", "value DESC, reached_at, user_id"),
    ]
    parts = [f"SELECT * FROM (SELECT id, value, reached_at, user_id FROM {table} WHERE {_BOARD} AND {where} "
             f"ORDER BY {order} LIMIT :k) AS part{n}" for n, (where, order) in enumerate(ranges)]
    return (text(" UNION ALL ".join(parts)).bindparams(bindparam("r", type_=DateTime))
            .columns(id=Integer, value=BigInteger, reached_at=DateTime, user_id=Integer))


def place_of(contest_id: int, league_id: int, score, frozen: bool = False) -> int | None:
    """My place: an indexed count of the rows before me, never a read of the whole board."""
    if score is None or score.value <= 0:
        return None
    ahead = db.session.scalar(_place_sql(_model(frozen).__tablename__), {
        "c": contest_id, "l": league_id, "f": frozen, "b": board_bucket(score.value),
        "top": bucket_ceiling(score.value), "v": score.value, "r": score.reached_at, "u": score.user_id})
    return ahead + 1


@dataclass
class Position:
    place: int | None
    score: object
    above: list[BoardRow]
    me: BoardRow | None
    below: list[BoardRow]


def _neighbour_ids(model, contest_id: int, league_id: int, score, around: int) -> tuple[list[int], list[int]]:
    rows = db.session.execute(_neighbours_sql(model.__tablename__), {
        "c": contest_id, "l": league_id, "v": score.value, "r": score.reached_at, "u": score.user_id, "k": around,
    }).all()
    mine = (-score.value, score.reached_at, score.user_id)
    ranked = sorted(rows, key=lambda r: (-r.value, r.reached_at, r.user_id))
    above = [r.id for r in ranked if (-r.value, r.reached_at, r.user_id) < mine][-around:]
    below = [r.id for r in ranked if (-r.value, r.reached_at, r.user_id) > mine][:around]
    return above, below


def position(contest_id: int, league_id: int, user_id: int, frozen: bool = False, around: int = 2,
             scores: list | None = None) -> Position:
    """My place with `around` neighbours on each side: index counts and index seeks, whatever my place. `scores`:
    my rows of this contest (`my_rows`) when the caller has them already."""
    model = _model(frozen)
    if scores is None:
        score = score_of(contest_id, league_id, user_id, frozen)
    else:
        score = next((row for row in scores if row.league_id == league_id), None)
    place = place_of(contest_id, league_id, score, frozen)
    if place is None:
        return Position(None, score, [], None, [])
    above_ids, below_ids = _neighbour_ids(model, contest_id, league_id, score, around)
    # Sorted here: an ORDER BY would tempt SQLite to walk the board index instead of fetching five rows by id.
    rows = sorted(_rows(model, select(model).where(model.id.in_([*above_ids, score.id, *below_ids])), 0),
                  key=lambda row: (-row.value, row.reached_at, row.user_id))
    for offset, row in enumerate(rows):
        row.place = place - len(above_ids) + offset
    me = rows[len(above_ids)]
    return Position(place, score, rows[:len(above_ids)], me, rows[len(above_ids) + 1:])


def counts_on_boards(contest_id: int, frozen: bool = False) -> dict[int, int]:
    """{league id: everyone on its board} for every league of the contest, in one read of the bucket counts."""
    return dict(db.session.execute(
        select(ContestBoardBucket.league_id, func.coalesce(func.sum(ContestBoardBucket.n), 0)).where(
            ContestBoardBucket.contest_id == contest_id, ContestBoardBucket.frozen == frozen)
        .group_by(ContestBoardBucket.league_id)).all())


def count_on_board(contest_id: int, league_id: int, frozen: bool = False) -> int:
    """Everyone on the board: the sum of its bucket counts."""
    return db.session.scalar(select(func.coalesce(func.sum(ContestBoardBucket.n), 0)).where(
        ContestBoardBucket.contest_id == contest_id, ContestBoardBucket.league_id == league_id,
        ContestBoardBucket.frozen == frozen)) or 0


def bucket_drift(contest_id: int) -> list[str]:
    """Bucket counts that differ from a count of the score rows (the recomputation reports them)."""
    drift = []
    for frozen in (False, True):
        model = _model(frozen)
        counted: dict[tuple[int, int], int] = {}
        for league_id, value in db.session.execute(select(model.league_id, model.value).where(
                model.contest_id == contest_id, model.value > 0)):
            key = (league_id, board_bucket(value))
            counted[key] = counted.get(key, 0) + 1
        kept = {(row.league_id, row.bucket): row.n for row in db.session.execute(
            select(ContestBoardBucket).where(ContestBoardBucket.contest_id == contest_id,
                                             ContestBoardBucket.frozen == frozen)).scalars() if row.n}
        if counted != kept:
            drift.append(f"contest {contest_id} {'frozen' if frozen else 'live'} board buckets: kept {kept}, "
                         f"counted {counted}")
    return drift


def my_rows(contest_id: int, user_id: int, frozen: bool = False) -> list:
    """The participant's scores in every league of the contest (a move between companies may give two)."""
    model = _model(frozen)
    return list(db.session.scalars(select(model).where(model.contest_id == contest_id, model.user_id == user_id)
                                   .order_by(model.league_id).execution_options(populate_existing=True)))


def rebuild_buckets(contest_id: int) -> None:
    """Count the buckets again from the score rows (a repair; the triggers keep them in normal running)."""
    db.session.execute(delete(ContestBoardBucket).where(ContestBoardBucket.contest_id == contest_id)
                       .execution_options(synchronize_session=False))
    counts: dict[tuple[int, bool, int], int] = {}
    for frozen in (False, True):
        model = _model(frozen)
        for league_id, value in db.session.execute(select(model.league_id, model.value).where(
                model.contest_id == contest_id, model.value > 0)):
            key = (league_id, frozen, board_bucket(value))
            counts[key] = counts.get(key, 0) + 1
    if counts:
        db.session.execute(insert(ContestBoardBucket), [
            {"contest_id": contest_id, "league_id": league_id, "frozen": frozen, "bucket": bucket, "n": n}
            for (league_id, frozen, bucket), n in counts.items()])
    db.session.flush()
