"""Finalisation under 20 parallel requests from two managers: each prize is posted exactly once (both databases)."""

from datetime import timedelta

from sqlalchemy import func, select

from portal.contests import services
from portal.contests.models import FINALISED, UNITS, Contest, ContestWinner
from portal.core.time import frozen_time
from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.models import LedgerTransaction
from portal.ledger.reports import check_ledger
from portal.program.services import get_settings
from tests.contests import helpers as h
from tests.ledger.test_concurrency import run_parallel

THREADS = 20


def test_twenty_parallel_finalisations_by_two_managers_post_each_prize_once(app, make):
    first_manager, second_manager = make.manager(), make.manager()
    people = [make.user() for _ in range(5)]
    with app.test_request_context():
        h.catalogue()
        get_settings().first_sale_bonus = 0
        contest = h.contest(db.session.get(type(first_manager), first_manager.id), metric=UNITS)
        for quantity, person in enumerate(people, start=1):
            h.sale(db.session.get(type(person), person.id), db.session.get(type(first_manager), first_manager.id),
                   quantity=quantity)
        contest_id, ends_at = contest.id, contest.ends_at
        db.session.commit()

    def finalise(i):
        manager_id = (first_manager if i % 2 else second_manager).id
        with frozen_time(ends_at + timedelta(minutes=5)):
            contest = db.session.get(Contest, contest_id)
            actor = db.session.get(type(first_manager), manager_id)
            return len(services.finalise_contest(contest, actor))

    results = run_parallel(app, THREADS, finalise)

    done = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, services.AlreadyFinalised)]
    assert done == [3] and len(refused) == THREADS - 1, results
    with app.app_context():
        assert db.session.get(Contest, contest_id).status == FINALISED
        assert db.session.scalar(select(func.count(ContestWinner.id))) == 3
        prizes = db.session.scalars(select(LedgerTransaction).where(LedgerTransaction.source_type == "contest")).all()
        assert len(prizes) == 3
        assert [ledger.balance_of(p.id) for p in people] == [0, 0, 1000, 3000, 5000]
        assert check_ledger() == []


def test_a_retried_finalisation_after_a_crash_posts_nothing_twice(app, make):
    """The prize key makes a replay (the same winners posted again) a no-op in the ledger."""
    boss = make.manager()
    person = make.user()
    with app.test_request_context():
        h.catalogue()
        get_settings().first_sale_bonus = 0
        contest = h.contest(db.session.get(type(boss), boss.id), metric=UNITS)
        h.sale(db.session.get(type(person), person.id), db.session.get(type(boss), boss.id), quantity=2)
        with frozen_time(contest.ends_at + timedelta(minutes=1)):
            (winner,) = services.finalise_contest(contest, db.session.get(type(boss), boss.id))
        db.session.commit()
        key = f"contest:{contest.id}:league:{winner.league_id}:place:1:user:{person.id}"
        again = ledger.earn(person.id, 5000, key=key, source_type="contest", source_id=contest.id,
                            actor_id=boss.id, params={"title": contest.title, "place": 1})
        assert again.id == winner.ledger_transaction_id
        assert ledger.balance_of(person.id) == 5000
