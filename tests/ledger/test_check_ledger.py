"""`check_ledger` finds what is wrong, not only that all is right: each kind of damage, made by hand in SQL."""

import pytest
from sqlalchemy import select, text

from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.models import LedgerEntry
from portal.ledger.reports import check_ledger, program_totals


def _post(person):
    ledger.earn(person.id, 500, key="e1", source_type="sale", source_id=1)
    ledger.earn(person.id, 300, key="e2", source_type="sale", source_id=2)
    ledger.spend(person.id, 600, key="s1", source_type="order", source_id=1)
    db.session.flush()
    assert check_ledger() == []


@pytest.fixture
def person(make):
    return make.user()


def test_totals_are_kept_with_every_posting(db, person):
    _post(person)
    totals = program_totals()
    assert (totals.outstanding, totals.participants_with_points) == (200, 1)
    ledger.spend(person.id, 200, key="s2", source_type="order", source_id=2)
    db.session.flush()
    totals = program_totals()
    assert (totals.outstanding, totals.participants_with_points, totals.spent) == (0, 0, 800)
    assert check_ledger() == []


def test_a_wrong_balance_and_wrong_totals_are_reported(db, person):
    _post(person)
    db.session.execute(text("UPDATE ledger_accounts SET balance = balance + 7 WHERE code = :code"),
                       {"code": f"wallet:{person.id}"})
    problems = check_ledger()
    assert f"account wallet:{person.id}: stored balance 207, entries say 200" in problems
    assert f"account wallet:{person.id}: balance 207, its lots hold 200" in problems
    assert any(p.startswith("totals of wallet accounts") for p in problems)


def test_a_wrong_lot_is_reported(db, person):
    _post(person)
    db.session.execute(text("UPDATE ledger_lots SET remaining = remaining + 1 WHERE id = "
                            "(SELECT min(id) FROM ledger_lots)"))
    problems = check_ledger()
    assert any(p.startswith("lot ") and "allocations say" in p for p in problems)
    assert any("its lots hold 201" in p for p in problems)


def test_an_entry_that_unbalances_its_transaction_is_reported(db, person):
    _post(person)
    last = db.session.scalar(select(LedgerEntry).order_by(LedgerEntry.id.desc()).limit(1))
    wallet = ledger.wallet_account(person.id)
    db.session.execute(text("INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) "
                            "VALUES (:t, :a, 5, 999)"), {"t": last.transaction_id, "a": wallet.id})
    problems = check_ledger()
    assert f"transaction {last.transaction_id}: entries sum to 5, not 0" in problems
    assert any(p.startswith(f"account wallet:{person.id}: entry ") and "running balance 999" in p for p in problems)
    assert f"account wallet:{person.id}: stored balance 200, entries say 205" in problems
