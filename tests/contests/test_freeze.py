"""The freeze: every participant view shows places as of the freeze; managers freeze and unfreeze by hand."""

from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.contests import boards, lookups, scoring, services
from portal.contests.models import FINISHED, FROZEN, RUNNING, UNITS, ContestFrozenScore
from portal.core.errors import DomainError
from portal.core.time import frozen_time, utcnow
from portal.extensions import db
from tests.contests import helpers as h


def _frozen_with_a_late_sale(make, manager):
    """Anna 2, Boris 1 at the freeze; then Boris sells 5 more (live: Boris 6 first, Anna second)."""
    now = utcnow()
    c = h.contest(manager, metric=UNITS, freeze_at=now + timedelta(hours=1))
    anna, boris = make.user(full_name="Анна"), make.user(full_name="Борис")
    h.sale(anna, manager, quantity=2)
    h.sale(boris, manager, quantity=1)
    with frozen_time(now + timedelta(hours=2)):
        assert services.advance_contest(c) == [FROZEN]
        h.sale(boris, manager, quantity=5)
    return c, anna, boris


def test_my_places_are_as_of_the_freeze(db, make, manager, shop):
    c, anna, boris = _frozen_with_a_late_sale(make, manager)
    assert [(place, value) for _, place, value in lookups.my_places(c, boris)] == [(2, 1)]
    assert [(place, value) for _, place, value in lookups.my_places(c, anna)] == [(1, 2)]
    assert lookups.best_current_place(boris)[1] == 2


def test_places_stay_as_of_the_freeze_after_the_end_until_final(db, make, manager, shop):
    c, anna, boris = _frozen_with_a_late_sale(make, manager)
    with frozen_time(c.ends_at + timedelta(minutes=1)):
        services.advance_contest(c)
    assert c.status == FINISHED
    assert [(place, value) for _, place, value in lookups.my_places(c, boris)] == [(2, 1)]
    services.finalise_contest(c, manager)
    assert [(place, value) for _, place, value in lookups.my_places(c, boris)] == [(1, 6)]  # the final places


def test_manager_freezes_by_hand_and_unfreezes(db, make, manager, shop):
    c = h.contest(manager, metric=UNITS)
    anna, boris = make.user(full_name="Анна"), make.user(full_name="Борис")
    h.sale(anna, manager, quantity=2)
    services.freeze_contest(c, manager)
    assert c.status == FROZEN and c.frozen_at is not None and c.freeze_at is not None
    h.sale(boris, manager, quantity=5)
    league = c.leagues[0].id
    assert [r.full_name for r in boards.top(c.id, league, frozen=True)] == ["Анна"]
    assert lookups.shows_frozen_board(c)
    services.unfreeze_contest(c, manager)
    assert c.status == RUNNING and c.frozen_at is None and c.freeze_at is None
    assert db.session.scalar(select(ContestFrozenScore.id).where(ContestFrozenScore.contest_id == c.id)) is None
    assert not lookups.shows_frozen_board(c)
    assert services.advance_contest(c, utcnow() + timedelta(hours=1)) == []  # the clock does not freeze it again
    assert [(place, value) for _, place, value in lookups.my_places(c, boris)] == [(1, 5)]
    actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "contest",
                                                                    AuditEntry.object_id == str(c.id))))
    assert "contest.frozen" in actions and "contest.unfrozen" in actions
    assert scoring.recompute_all(fix=False) == []


@pytest.mark.parametrize("state", ["scheduled", "finished"])
def test_only_a_running_contest_freezes_by_hand(db, make, manager, shop, state):
    now = utcnow()
    if state == "scheduled":
        c = h.contest(manager, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=3))
    else:
        c = h.contest(manager)
        with frozen_time(c.ends_at + timedelta(minutes=1)):
            services.advance_contest(c)
    with force_locale("en"), pytest.raises(DomainError, match="running"):
        services.freeze_contest(c, manager)
    with force_locale("en"), pytest.raises(DomainError, match="frozen"):
        services.unfreeze_contest(c, manager)


# --- pages -------------------------------------------------------------------------------------------


@pytest.fixture
def frozen_running(app, make):
    """A units contest, frozen with Участник 0 third; after the freeze Участник 0 sells 10 (first, live)."""
    from portal.auth.models import User
    from portal.contests.models import Contest
    from portal.program.services import get_settings

    boss = make.manager(email="boss@example.test")
    people = [make.user(email=f"p{i}@example.test", full_name=f"Участник {i}") for i in range(3)]
    with app.test_request_context():
        h.catalogue()
        get_settings().first_sale_bonus = 0
        manager = db.session.get(User, boss.id)
        contest = h.contest(manager, metric=UNITS, freeze_at=utcnow() + timedelta(minutes=30))
        for quantity, person in enumerate(people, start=1):
            h.sale(db.session.get(User, person.id), manager, quantity=quantity)
        db.session.commit()
        with frozen_time(utcnow() + timedelta(hours=1)):
            services.advance_contest(contest)
            h.sale(db.session.get(User, people[0].id), manager, quantity=10)
        db.session.commit()
        assert db.session.get(Contest, contest.id).status == FROZEN
        return contest.id


def test_participant_pages_show_places_as_of_the_freeze(app, client, login, frozen_running):
    login("p0@example.test")
    index = client.get("/contests").get_data(as_text=True)
    assert "Моё место: 3" in index and "Моё место: 1" not in index
    page = client.get(f"/contests/{frozen_running}").get_data(as_text=True)
    mine = page.split('data-testid="my-position"')[1].split("</div>")[0]
    assert "Моё место на момент заморозки: 3." in mine and "Мой результат сейчас: 11." in mine
    board = page.split("Рейтинг</h2>")[1]
    assert board.index("Участник 2") < board.index("Участник 0")
    home = client.get("/home").get_data(as_text=True)
    assert "Место 3" in home


def test_as_participants_see_it_is_the_frozen_board_for_the_manager_too(app, client, login, frozen_running):
    login("boss@example.test")
    page = client.get(f"/contests/{frozen_running}").get_data(as_text=True)
    board = page.split("Рейтинг</h2>")[1]
    assert board.index("Участник 2") < board.index("Участник 0")  # what participants see, not the live board
    assert 'data-testid="frozen-note"' in page


def test_manager_freezes_and_unfreezes_from_the_console(app, client, login, frozen_running):
    from portal.contests.models import Contest

    login("boss@example.test")
    review = client.get(f"/console/contests/{frozen_running}").get_data(as_text=True)
    unfreeze_form = review.split(f'action="/console/contests/{frozen_running}/unfreeze"')[1].split(">")[0]
    assert "data-confirm=" in unfreeze_form  # asked before it happens
    page = client.post(f"/console/contests/{frozen_running}/unfreeze", follow_redirects=True).get_data(as_text=True)
    assert "Рейтинг разморожен" in page
    with app.app_context():
        assert db.session.get(Contest, frozen_running).status == RUNNING
    login("p0@example.test")
    assert "Моё место: 1" in client.get("/contests").get_data(as_text=True)
    login("boss@example.test")
    review = client.get(f"/console/contests/{frozen_running}").get_data(as_text=True)
    freeze_form = review.split(f'action="/console/contests/{frozen_running}/freeze"')[1].split(">")[0]
    assert "data-confirm=" in freeze_form
    page = client.post(f"/console/contests/{frozen_running}/freeze", follow_redirects=True).get_data(as_text=True)
    assert "Рейтинг заморожен" in page
    with app.app_context():
        assert db.session.get(Contest, frozen_running).status == FROZEN


def test_finalising_asks_first_and_then_no_board_is_labelled_as_seen_by_participants(app, client, login,
                                                                                     frozen_running):
    from portal.contests.models import Contest

    with app.test_request_context():
        contest = db.session.get(Contest, frozen_running)
        with frozen_time(contest.ends_at + timedelta(minutes=1)):
            services.advance_contest(contest)
        db.session.commit()
    login("boss@example.test")
    review = client.get(f"/console/contests/{frozen_running}").get_data(as_text=True)
    form = review.split(f'action="/console/contests/{frozen_running}/finalise"')[1].split(">")[0]
    assert "data-confirm=" in form
    assert "его видят участники" in review  # finished, not final: participants still see the frozen board
    client.post(f"/console/contests/{frozen_running}/finalise")
    review = client.get(f"/console/contests/{frozen_running}").get_data(as_text=True)
    assert "его видят участники" not in review and "участники его больше не видят" in review


def test_the_change_log_shows_moments_in_the_programs_time_and_says_when_a_value_was_removed(app, client, login,
                                                                                           frozen_running):
    from flask_babel import format_datetime

    from portal.contests.models import Contest, ContestChange

    login("boss@example.test")
    client.post(f"/console/contests/{frozen_running}/unfreeze")
    with app.app_context():
        change = db.session.scalar(db.select(ContestChange).where(ContestChange.contest_id == frozen_running,
                                                                  ContestChange.field == "freeze_at"))
        stored = change.old_value
        assert db.session.get(Contest, frozen_running).freeze_at is None and change.new_value == ""
    with app.test_request_context(), force_locale("ru"):
        shown = format_datetime(datetime.fromisoformat(stored), "short")  # in Moscow time
    review = client.get(f"/console/contests/{frozen_running}").get_data(as_text=True)
    log = review.split('data-testid="changes"')[1].split("</table>")[0]
    assert shown in log and stored not in log and stored[:16] not in log
    assert "нет" in log  # the removed freeze says so instead of an empty cell
