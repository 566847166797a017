"""Places deep in a board come from bucket counts the database triggers keep: they must equal a plain sort."""

import random
from datetime import timedelta

from sqlalchemy import delete, insert, select, update

from portal.contests import boards
from portal.contests.models import (
    UNITS,
    ContestFrozenScore,
    ContestScore,
    board_bucket,
    bucket_ceiling,
)
from portal.core.time import utcnow
from portal.extensions import db
from tests.contests import helpers as h

EDGES = [1, 9, 10, 11, 99, 100, 101, 109, 110, 999, 1000, 1009, 1010, 9999, 10_000, 123_456_789, 10**15]


def test_buckets_grow_with_the_value_and_their_ceiling_starts_the_next_one():
    values = sorted(EDGES + list(range(1, 3000)))
    for low, high in zip(values, values[1:], strict=False):
        assert board_bucket(low) <= board_bucket(high)
    for value in EDGES:
        ceiling = bucket_ceiling(value)
        assert board_bucket(ceiling - 1) == board_bucket(value) < board_bucket(ceiling)


def _expected_places(model, contest_id, league_id):
    rows = db.session.execute(select(model.user_id, model.value, model.reached_at).where(
        model.contest_id == contest_id, model.league_id == league_id, model.value > 0)).all()
    ranked = sorted(rows, key=lambda r: (-r.value, r.reached_at, r.user_id))
    return {row.user_id: place for place, row in enumerate(ranked, 1)}


def _check(model, contest, frozen=False):
    league = contest.leagues[0]
    expected = _expected_places(model, contest.id, league.id)
    got = {user_id: boards.place_of(contest.id, league.id, boards.score_of(contest.id, league.id, user_id, frozen),
                                    frozen) for user_id in expected}
    assert got == expected
    assert boards.count_on_board(contest.id, league.id, frozen) == len(expected)
    assert boards.bucket_drift(contest.id) == []


def test_places_from_buckets_equal_a_sort_through_inserts_updates_and_deletes(db, make, manager, shop):
    contest = h.contest(manager, metric=UNITS)
    league = contest.leagues[0]
    people = [make.user().id for _ in range(120)]
    rng = random.Random(7)
    now = utcnow()
    values = EDGES + [rng.choice([0, 5, 50, 55, 1000, 1001, 1099, 1100, 77_777]) for _ in people[len(EDGES):]]
    db.session.execute(insert(ContestScore), [
        {"contest_id": contest.id, "league_id": league.id, "user_id": user_id, "actual": value, "value": value,
         "reached_at": now - timedelta(minutes=rng.randint(0, 3))} for user_id, value in zip(people, values,
                                                                                                 strict=True)])
    db.session.flush()
    _check(ContestScore, contest)

    for user_id in rng.sample(people, 60):  # up, down, onto and off the board, within and across buckets
        value = rng.choice([0, -3, 1, 10, 99, 100, 1000, 1005, 1099, 5000, 77_778])
        db.session.execute(update(ContestScore).where(ContestScore.user_id == user_id).values(value=value))
    db.session.execute(delete(ContestScore).where(ContestScore.user_id.in_(people[:10])))
    db.session.flush()
    _check(ContestScore, contest)

    db.session.execute(insert(ContestFrozenScore), [
        {"contest_id": contest.id, "league_id": league.id, "user_id": row.user_id, "actual": row.actual,
         "value": row.value, "reached_at": row.reached_at}
        for row in db.session.scalars(select(ContestScore).where(ContestScore.contest_id == contest.id))])
    db.session.flush()
    _check(ContestFrozenScore, contest, frozen=True)
    _check(ContestScore, contest)


def test_sales_and_reversals_keep_the_buckets(db, make, manager, shop):
    from portal.claims import services as claims

    contest = h.contest(manager, metric=UNITS)
    anna, boris = make.user(full_name="Анна"), make.user(full_name="Борис")
    h.sale(anna, manager, quantity=9)
    sold = h.sale(boris, manager, quantity=12)
    h.sale(anna, manager, quantity=2)  # 9 -> 11: from a one-digit bucket into a two-digit one
    _check(ContestScore, contest)
    claims.reverse_claim(sold, manager, "Возврат")
    _check(ContestScore, contest)
    assert boards.count_on_board(contest.id, contest.leagues[0].id) == 1


def test_the_recomputation_reports_and_repairs_buckets_that_were_bypassed(db, make, manager, shop):
    from portal.contests import scoring
    from portal.contests.models import ContestBoardBucket

    contest = h.contest(manager, metric=UNITS)
    h.sale(make.user(), manager, quantity=3)
    db.session.execute(update(ContestBoardBucket).values(n=ContestBoardBucket.n + 5))
    assert scoring.recompute_all(fix=False) != []
    assert scoring.recompute_all(fix=True) != []
    assert scoring.recompute_all(fix=False) == []
    assert boards.count_on_board(contest.id, contest.leagues[0].id) == 1
