"""The ledger under 50 parallel requests, on whichever database the suite runs on (both, in make test)."""

import threading

from sqlalchemy import func, select

from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.models import LedgerTransaction
from portal.ledger.reports import check_ledger

THREADS = 50


def run_parallel(app, count, work):
    """Run work(i) in `count` threads at once, each in its own app context and database transaction."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(i):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = work(i)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - the test inspects every outcome
                db.session.rollback()
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_fifty_parallel_spends_never_overdraw(app, make):
    person = make.user()
    with app.app_context():
        ledger.earn(person.id, 1000, key="start", source_type="sale", source_id=1)
        db.session.commit()

    results = run_parallel(
        app, THREADS, lambda i: ledger.spend(person.id, 100, key=f"spend-{i}", source_type="order", source_id=i)
    )

    succeeded = [r for r in results if isinstance(r, LedgerTransaction)]
    refused = [r for r in results if isinstance(r, ledger.InsufficientPoints)]
    assert len(succeeded) == 10
    assert len(refused) == 40, [r for r in results if not isinstance(r, LedgerTransaction | ledger.InsufficientPoints)]
    with app.app_context():
        assert ledger.balance_of(person.id) == 0
        assert check_ledger() == []


def test_fifty_parallel_posts_of_one_key_make_one_transaction(app, make):
    person = make.user()
    with app.app_context():  # the wallet exists already, so nothing but the ledger's lock orders the threads
        ledger.earn(person.id, 1, key="start", source_type="sale", source_id=1)
        db.session.commit()
    results = run_parallel(
        app, THREADS, lambda i: ledger.earn(person.id, 250, key="claim-7-approved", source_type="sale", source_id=7).id
    )
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(LedgerTransaction.id))) == 2
        assert ledger.balance_of(person.id) == 251
        assert check_ledger() == []


def test_parallel_earns_and_spends_across_people_stay_consistent(app, make):
    people = [make.user() for _ in range(5)]
    with app.app_context():
        for person in people:
            ledger.earn(person.id, 500, key=f"start-{person.id}", source_type="sale", source_id=person.id)
        db.session.commit()

    def work(i):
        person = people[i % len(people)]
        if i % 2:
            return ledger.spend(person.id, 120, key=f"spend-{i}", source_type="order", source_id=i)
        return ledger.earn(person.id, 30, key=f"earn-{i}", source_type="sale", source_id=100 + i)

    results = run_parallel(app, THREADS, work)
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, ledger.InsufficientPoints)]
    assert unexpected == []
    with app.app_context():
        assert check_ledger() == []
        assert all(ledger.balance_of(p.id) >= 0 for p in people)
