"""Ranking tables: ties, leagues, minimum value, fewer people than places, freeze, % of plan."""

from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from portal.claims import services as claims
from portal.contests import boards, lookups, scoring, services
from portal.contests.models import (
    BY_GROUP,
    FINALISED,
    FROZEN,
    PLAN_PERCENT,
    SALES_AMOUNT,
    UNITS,
    ContestScore,
)
from portal.core.time import frozen_time, utcnow
from portal.plans.models import SalesPlan
from tests.contests import helpers as h


def board(contest, league=None, frozen=False):
    league = league or contest.leagues[0]
    return [(row.full_name, row.value) for row in boards.top(contest.id, league.id, 50, frozen=frozen)]


def test_equal_values_rank_by_who_reached_first_then_id(db, make, manager, shop):
    c = h.contest(manager, metric=UNITS)
    anna, boris, vera = (make.user(full_name=n) for n in ("Анна", "Борис", "Вера"))
    moment = utcnow() - timedelta(hours=5)
    with frozen_time(moment):
        h.sale(vera, manager, quantity=2)
        h.sale(boris, manager, quantity=2)  # same moment as Vera: the lower id ranks first
    with frozen_time(moment - timedelta(hours=1)):
        h.sale(anna, manager, quantity=2)  # got to 2 an hour earlier
    first, second = sorted([vera, boris], key=lambda u: u.id)
    assert [name for name, _ in board(c)] == ["Анна", first.full_name, second.full_name]
    assert services.finalise_contest is not None


def test_zero_and_reversed_values_are_not_on_the_board(db, make, manager, shop):
    c = h.contest(manager, metric=UNITS)
    anna, boris = make.user(full_name="Анна"), make.user(full_name="Борис")
    h.sale(anna, manager, quantity=1)
    sold = h.sale(boris, manager, quantity=3)
    claims.reverse_claim(sold, manager, "Возврат")
    assert board(c) == [("Анна", 1)]
    assert boards.position(c.id, c.leagues[0].id, boris.id).place is None


def test_leagues_by_group_and_a_move_keeps_earlier_results_in_the_old_league(db, make, manager, shop):
    from portal.partners.services import move_participant

    moscow, region = make.company(name="ООО «Москва»"), make.company(name="ООО «Регион»")
    g1, g2 = h.group("Дилеры Москвы", moscow), h.group("Регионы", region)
    c = h.contest(manager, league_mode=BY_GROUP, group_ids=[g1.id, g2.id])
    ivan = make.user(company=moscow, full_name="Иван")
    petr = make.user(company=region, full_name="Пётр")
    h.sale(ivan, manager, quantity=1, price=2_000_000)
    h.sale(petr, manager, quantity=1, price=1_000_000)
    first, second = c.leagues
    assert board(c, first) == [("Иван", 2_000_000)] and board(c, second) == [("Пётр", 1_000_000)]
    move_participant(ivan, region, manager)
    h.sale(ivan, manager, quantity=1, price=500_000)
    assert board(c, first) == [("Иван", 2_000_000)]  # stays where it was earned
    assert board(c, second) == [("Пётр", 1_000_000), ("Иван", 500_000)]
    assert scoring.recompute_all(fix=False) == []


def test_company_outside_every_league_group_does_not_take_part(db, make, manager, shop):
    inside, outside = make.company(), make.company()
    g = h.group("Интеграторы Gold", inside)
    c = h.contest(manager, league_mode=BY_GROUP, group_ids=[g.id])
    h.sale(make.user(company=outside), manager)
    assert board(c) == []
    assert boards.count_on_board(c.id, c.leagues[0].id) == 0


def _finish(contest):
    with frozen_time(contest.ends_at + timedelta(minutes=1)):
        services.advance_contest(contest)


def test_minimum_value_and_fewer_participants_than_places(db, make, manager, shop):
    c = h.contest(manager, metric=UNITS, min_value=3, winners_per_league=3)
    anna, boris = make.user(full_name="Анна"), make.user(full_name="Борис")
    h.sale(anna, manager, quantity=5)
    h.sale(boris, manager, quantity=2)  # on the board, below the minimum to win
    _finish(c)
    winners = services.finalise_contest(c, manager)
    assert [(w.place, w.user_id, w.prize_points) for w in winners] == [(1, anna.id, 5000)]
    assert c.status == FINALISED and c.leagues[0].participants_final == 2


def test_freeze_snapshot_is_the_board_as_of_the_freeze(db, make, manager, shop):
    now = utcnow()
    c = h.contest(manager, metric=UNITS, freeze_at=now + timedelta(hours=1))
    anna, boris = make.user(full_name="Анна"), make.user(full_name="Борис")
    h.sale(anna, manager, quantity=2)
    with frozen_time(now + timedelta(hours=2)):
        h.sale(boris, manager, quantity=5)  # after the freeze, before the clock job noticed it
        assert services.advance_contest(c) == [FROZEN]
    assert board(c, frozen=True) == [("Анна", 2)]
    assert board(c) == [("Борис", 5), ("Анна", 2)]
    assert boards.score_of(c.id, c.leagues[0].id, boris.id).value == 5  # Boris's own live value
    assert lookups.shows_frozen_board(c)


@pytest.mark.parametrize(("target", "expected"), [(1_000_000, 20000), (4_000_000, 5000), (None, None)])
def test_percent_of_plan_with_and_without_a_plan(db, make, manager, shop, target, expected):
    person = make.user(full_name="Анна")
    c = h.contest(manager, publish=False, metric=PLAN_PERCENT, plan_metric=SALES_AMOUNT)
    first, last = scoring.period_dates(c)
    if target:
        db.session.add(SalesPlan(user_id=person.id, metric=SALES_AMOUNT, period_start=first, period_end=last,
                                 target=target))
    services.publish_contest(c, manager)
    h.sale(person, manager, quantity=2, price=1_000_000)  # 2,000,000 kopecks sold
    score = boards.score_of(c.id, c.leagues[0].id, person.id)
    assert score.actual == 2_000_000
    if expected is None:
        assert score.value == 0 and board(c) == []  # no plan: measured, not ranked
    else:
        assert board(c) == [("Анна", expected)]  # 200.00 % or 50.00 %
    assert scoring.recompute_all(fix=False) == []


def test_my_position_with_neighbours_when_5000th(db, make, manager):
    c = h.contest(manager, metric=UNITS)
    league = c.leagues[0].id
    people = [make.user.__wrapped__(full_name=f"Участник {i}") for i in range(6)]
    at = utcnow()
    # 6,000 scores in bulk: values 6000..1 ranked by value; the six real people hold places 4998..5003.
    filler = make.user.__wrapped__(full_name="Заполнитель")
    db.session.execute(insert(ContestScore), [
        {"contest_id": c.id, "league_id": league, "user_id": filler.id if i else filler.id, "actual": 0,
         "value": 0, "reached_at": at} for i in range(1)])
    db.session.execute(ContestScore.__table__.delete())
    rows = []
    from portal.auth.models import User

    base = db.session.scalar(select(User.id).order_by(User.id.desc()).limit(1))
    db.session.execute(insert(User), [{"email": f"bulk{i}@example.test", "password_hash": "x", "full_name": f"Bulk {i}",
                                       "role": "participant", "locale": "ru", "active": True, "session_token": "t"}
                                      for i in range(6000)])
    ids = list(db.session.scalars(select(User.id).where(User.id > base).order_by(User.id)))
    for rank, user_id in enumerate(ids, start=1):
        rows.append({"contest_id": c.id, "league_id": league, "user_id": user_id, "actual": 6001 - rank,
                     "value": 6001 - rank, "reached_at": at})
    db.session.execute(insert(ContestScore), rows)
    me = ids[4999]
    position = boards.position(c.id, league, me)
    assert position.place == 5000
    assert [r.place for r in position.above] == [4998, 4999]
    assert [r.place for r in position.below] == [5001, 5002]
    assert [r.user_id for r in position.above + [position.me] + position.below] == ids[4997:5002]
    assert boards.count_on_board(c.id, league) == 6000
    assert people  # the real people are not on this board


def test_neighbours_through_ties_match_the_full_board(db, make, manager):
    c = h.contest(manager, metric=UNITS)
    league = c.leagues[0].id
    at = utcnow()
    people = [make.user.__wrapped__() for _ in range(9)]
    scores = [(5, 0), (3, 2), (3, 1), (3, 1), (3, 1), (3, 0), (1, 5), (1, 5), (2, 9)]
    db.session.execute(insert(ContestScore), [
        {"contest_id": c.id, "league_id": league, "user_id": person.id, "actual": value, "value": value,
         "reached_at": at - timedelta(hours=hours)} for person, (value, hours) in zip(people, scores, strict=True)])
    full = [row.user_id for row in boards.top(c.id, league, 50)]
    assert len(full) == 9
    for place, user_id in enumerate(full, start=1):
        position = boards.position(c.id, league, user_id)
        assert position.place == place
        around = [row.user_id for row in position.above + [position.me] + position.below]
        assert around == full[max(place - 3, 0):place + 2]
        assert [row.place for row in position.above + [position.me] + position.below] == list(
            range(max(place - 2, 1), min(place + 2, 9) + 1))
