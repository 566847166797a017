from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.reports import check_ledger


def assert_ledger_consistent():
    db.session.flush()
    assert check_ledger() == []


def balances(user_id):
    return ledger.balances_of(user_id)
