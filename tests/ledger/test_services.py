from datetime import datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DatabaseError, IntegrityError

from portal.core.time import frozen_time
from portal.extensions import db as database
from portal.ledger import services as ledger
from portal.ledger.models import REDEMPTION, AppendOnlyError, LedgerEntry, LedgerTransaction, PointLot
from portal.ledger.reports import program_totals
from portal.program.services import update_settings
from tests.ledger.helpers import assert_ledger_consistent, balances

JAN = datetime(2026, 1, 15, 12, 0)


@pytest.fixture
def person(make):
    return make.user()


@pytest.fixture
def manager(make):
    return make.manager()


def earn(user, points, key, **kwargs):
    return ledger.earn(user.id, points, key=key, source_type="sale", source_id=1, **kwargs)


def spend(user, points, key, **kwargs):
    return ledger.spend(user.id, points, key=key, source_type="order", source_id=1, **kwargs)


def test_earning_credits_the_wallet_and_balances_to_zero(db, person):
    transaction = earn(person, 500, "k1", params={"invoice": "A-1"})
    entries = {e.account.code: e.amount for e in transaction.entries}
    assert entries == {f"wallet:{person.id}": 500, "system:issuance": -500}
    assert sum(entries.values()) == 0
    assert balances(person.id) == ledger.Balances(available=500, held=0, debt=0)
    assert_ledger_consistent()


def test_same_key_same_content_returns_the_first_transaction(db, person):
    first = earn(person, 500, "k1")
    again = earn(person, 500, "k1")
    assert again.id == first.id
    assert balances(person.id).available == 500
    assert db.session.scalar(select(db.func.count(LedgerTransaction.id))) == 1


def test_same_key_other_content_is_refused(db, person):
    earn(person, 500, "k1")
    with pytest.raises(ledger.IdempotencyConflict):
        earn(person, 501, "k1")
    assert balances(person.id).available == 500


@pytest.mark.parametrize(
    ("earned", "spent", "ok", "left"),
    [
        (1000, 100, True, 900),
        (1000, 1000, True, 0),
        (1000, 1001, False, 1000),
        (0, 1, False, 0),
    ],
)
def test_spending_never_overdraws(db, person, earned, spent, ok, left):
    if earned:
        earn(person, earned, "earn")
    if ok:
        spend(person, spent, "spend")
    else:
        with pytest.raises(ledger.InsufficientPoints) as error:
            spend(person, spent, "spend")
        assert (error.value.available, error.value.needed) == (earned, spent)
    assert balances(person.id).available == left
    assert_ledger_consistent()


def test_the_database_refuses_a_negative_wallet(db, person):
    earn(person, 10, "k1")
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(text(f"UPDATE ledger_accounts SET balance = -1 WHERE code = 'wallet:{person.id}'"))
    db.session.rollback()


def test_ledger_rows_cannot_be_changed_or_deleted(db, person):
    transaction = earn(person, 10, "k1")
    db.session.commit()
    entry = transaction.entries[0]
    entry.amount = 1_000_000
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.delete(db.session.get(LedgerTransaction, transaction.id))
        db.session.flush()
    db.session.rollback()
    # The database refuses too, for anyone going around the ORM.
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE ledger_entries SET amount = 999"))
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("DELETE FROM ledger_transactions"))
    db.session.rollback()
    assert balances(person.id).available == 10


def test_hold_then_capture_or_release(db, person):
    earn(person, 300, "earn")
    hold = spend(person, 200, "hold", hold=True)
    assert balances(person.id) == ledger.Balances(available=100, held=200, debt=0)
    ledger.capture_hold(hold, key="capture")
    assert balances(person.id) == ledger.Balances(available=100, held=0, debt=0)
    second = spend(person, 100, "hold-2", hold=True)
    ledger.reverse_transaction(second, actor_id=None, reason="payment failed")
    assert balances(person.id) == ledger.Balances(available=100, held=0, debt=0)
    assert_ledger_consistent()


def test_reversal_is_linked_and_happens_once(db, person, manager):
    earning = earn(person, 400, "earn")
    reversal = ledger.reverse_transaction(earning, actor_id=manager.id, reason="returned goods")
    assert reversal.reverses_id == earning.id
    assert balances(person.id).available == 0
    assert ledger.reverse_transaction(earning, actor_id=manager.id, reason="returned goods").id == reversal.id
    with pytest.raises(ledger.AlreadyReversed):
        ledger.reverse_transaction(earning, actor_id=manager.id, key="another-key")
    with pytest.raises(Exception, match="cannot be reversed|нельзя сторнировать"):
        ledger.reverse_transaction(reversal, actor_id=manager.id)
    assert_ledger_consistent()


@pytest.mark.parametrize(
    ("earned", "spent", "wallet_after", "debt_after"),
    [
        (500, 0, 0, 0),  # nothing spent: all comes back
        (500, 300, 0, 300),  # 300 already spent: the wallet gives 200, 300 becomes debt
        (500, 500, 0, 500),
    ],
)
def test_clawback_never_goes_below_zero_and_records_a_debt(db, person, earned, spent, wallet_after, debt_after):
    earning = earn(person, earned, "earn")
    if spent:
        spend(person, spent, "spend")
    ledger.reverse_transaction(earning, actor_id=None, reason="return")
    assert balances(person.id) == ledger.Balances(available=wallet_after, held=0, debt=debt_after)
    assert_ledger_consistent()


def test_debt_is_settled_from_the_next_earnings_first(db, person):
    earning = earn(person, 500, "earn")
    spend(person, 500, "spend")
    ledger.reverse_transaction(earning, actor_id=None)
    assert balances(person.id).debt == 500
    ledger.earn(person.id, 300, key="next-1", source_type="sale", source_id=2)
    assert balances(person.id) == ledger.Balances(available=0, held=0, debt=200)
    ledger.earn(person.id, 300, key="next-2", source_type="sale", source_id=3)
    assert balances(person.id) == ledger.Balances(available=100, held=0, debt=0)
    assert_ledger_consistent()


def test_reversing_a_spend_gives_back_the_same_lots(db, person):
    with frozen_time(JAN):
        earn(person, 100, "jan")
    with frozen_time(JAN + timedelta(days=60)):
        ledger.earn(person.id, 100, key="mar", source_type="sale", source_id=2)
        order = spend(person, 150, "spend")
    lots = db.session.scalars(select(PointLot).order_by(PointLot.id)).all()
    assert [lot.remaining for lot in lots] == [0, 50]  # the older lot went first
    ledger.reverse_transaction(order, actor_id=None, reason="order cancelled")
    assert [lot.remaining for lot in db.session.scalars(select(PointLot).order_by(PointLot.id))] == [100, 100]
    assert_ledger_consistent()


def statements_of(call) -> list[str]:
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    database.session.flush()
    event.listen(database.engine, "before_cursor_execute", record)
    try:
        call()
        database.session.flush()
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    return seen


def test_spending_takes_as_many_statements_from_forty_lots_as_from_one(db, make):
    ledger.account(REDEMPTION)  # made by the program's first spending
    statements = {}
    for lots_taken in (1, 40):
        person = make.user()
        with frozen_time(JAN):
            for n in range(60):
                earn(person, 10, f"earn-{person.id}-{n}")
        statements[lots_taken] = statements_of(partial(spend, person, 10 * lots_taken - 5, f"spend-{person.id}"))
        lots = db.session.scalars(select(PointLot.remaining).where(PointLot.account_id == ledger.wallet_account(
            person.id).id).order_by(PointLot.id)).all()
        assert lots == [0] * (lots_taken - 1) + [5] + [10] * (60 - lots_taken)  # the oldest first
    # The accounts read and locked, the key looked up; the transaction, its two entries, the balances; the lots
    # read, taken from and allocated; the totals; the KPI stage of the points redeemed (no KPI plan here).
    assert len(statements[40]) == len(statements[1]) <= 13, "\n".join(statements[40])
    assert_ledger_consistent()


@pytest.mark.parametrize(
    ("months", "spent", "expired_at_13_months"),
    [
        (12, 0, 100),
        (12, 30, 70),  # spending takes from the oldest lot, so less is left to expire
        (None, 0, 0),  # "never"
    ],
)
def test_expiry(db, person, months, spent, expired_at_13_months):
    update_settings(point_value_kopecks=100, points_expire_months=months)
    with frozen_time(JAN):
        earn(person, 100, "jan")
    with frozen_time(JAN + timedelta(days=200)):
        ledger.earn(person.id, 50, key="aug", source_type="sale", source_id=2)
        if spent:
            spend(person, spent, "spend")
    db.session.commit()
    at_13_months = JAN + timedelta(days=400)
    ledger.expire_due_points(at_13_months)
    assert balances(person.id).available == 150 - spent - expired_at_13_months
    # The job is idempotent: running it again changes nothing.
    assert ledger.expire_due_points(at_13_months) == 0
    assert balances(person.id).available == 150 - spent - expired_at_13_months
    assert_ledger_consistent()


def test_expiring_soon_is_shown_ahead(db, person):
    with frozen_time(JAN):
        earn(person, 100, "jan")
    expiring = ledger.expiring_lots(person.id, before=JAN + timedelta(days=400))
    assert expiring == [(datetime(2027, 1, 15, 12, 0), 100)]


@pytest.mark.parametrize(("points", "available"), [(250, 350), (-50, 50)])
def test_manual_adjustment(db, person, manager, points, available):
    earn(person, 100, "earn")
    transaction = ledger.adjust(person.id, points, reason="Бонус за выставку", actor_id=manager.id, key="adj")
    assert transaction.memo == "Бонус за выставку" and transaction.actor_id == manager.id
    assert balances(person.id).available == available
    assert_ledger_consistent()


def test_manual_debit_cannot_overdraw_and_needs_a_reason(db, person, manager):
    earn(person, 100, "earn")
    with pytest.raises(ledger.InsufficientPoints):
        ledger.adjust(person.id, -101, reason="ошибка", actor_id=manager.id, key="adj")
    with pytest.raises(ledger.DomainError):
        ledger.adjust(person.id, 10, reason=" ", actor_id=manager.id, key="adj2")


def test_program_totals(db, person, manager):
    earn(person, 1000, "earn")
    spend(person, 300, "spend")
    ledger.adjust(person.id, 50, reason="bonus", actor_id=manager.id, key="adj")
    totals = program_totals()
    assert (totals.issued, totals.spent, totals.adjusted, totals.outstanding) == (1000, 300, 50, 750)


def test_entries_keep_a_running_balance(db, person):
    earn(person, 100, "a")
    ledger.earn(person.id, 50, key="b", source_type="sale", source_id=2)
    spend(person, 30, "c")
    wallet = ledger.wallet_account(person.id)
    running = db.session.scalars(
        select(LedgerEntry.balance_after).where(LedgerEntry.account_id == wallet.id).order_by(LedgerEntry.id)
    ).all()
    assert running == [100, 150, 120]


# --- the program settings page's service ---------------------------------------------------------------------


def _program_settings(**changes):
    values = {"point_value_kopecks": 100, "points_expire_months": None, "claim_window_days": 60,
              "first_sale_bonus": 0, "birthday_bonus": 0, "copay_enabled": True, "copay_max_share_percent": 50,
              "payment_timeout_minutes": 30, "tax_rate_percent": 13, "tax_details_required": True}
    return {**values, **changes}


def test_program_settings_are_saved_and_the_audit_log_says_what_changed(db, make):
    from portal.audit import services as audit
    from portal.audit.models import AuditEntry
    from portal.auth.models import ADMIN
    from portal.program.services import get_settings

    admin = make.user(role=ADMIN)
    before = get_settings().point_value_kopecks
    ledger.save_program_settings(admin, **_program_settings(
        point_value_kopecks=before + 100, copay_enabled=False, payment_timeout_minutes=45,
        copay_max_share_percent=None, tax_details_required=False))
    settings = get_settings()
    assert (settings.point_value_kopecks, settings.copay_enabled, settings.payment_timeout_minutes,
            settings.tax_details_required) == (before + 100, False, 45, False)
    assert settings.copay_max_share_percent == 50  # an empty field keeps the current value
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == audit.SETTINGS_CHANGED)).all()
    assert [(e.actor_id, e.object_type) for e in entries] == [(admin.id, "program_settings")]
    assert entries[0].changes["point_value_kopecks"] == [before, before + 100]
    assert entries[0].changes["payment_timeout_minutes"] == [30, 45]


def test_program_settings_saved_unchanged_leave_no_audit_entry_and_bad_values_are_refused(db, make):
    from portal.audit.models import AuditEntry
    from portal.auth.models import ADMIN
    from portal.core.errors import DomainError
    from portal.program.services import get_settings

    admin = make.user(role=ADMIN)
    current = get_settings()
    ledger.save_program_settings(admin, **_program_settings(
        point_value_kopecks=current.point_value_kopecks, points_expire_months=current.points_expire_months,
        claim_window_days=current.claim_window_days, first_sale_bonus=current.first_sale_bonus,
        birthday_bonus=current.birthday_bonus))
    assert db.session.scalars(select(AuditEntry)).all() == []
    with pytest.raises(DomainError) as error:
        ledger.save_program_settings(admin, **_program_settings(point_value_kopecks=0))
    assert error.value.field == "point_value"
