"""The points ledger's one API. Only this package writes ledger rows; every feature moves points through it.
One module per job: accounts and their locks, posting, the transaction builder with its expiry lots,
expiry, and reading (balances, statements); this package's names are the ledger API.

Every operation follows the same steps, in one database transaction owned by the caller:
1. lock the accounts it touches (PostgreSQL: SELECT ... FOR UPDATE in id order; SQLite: a no-op UPDATE,
   which takes the database's write lock like BEGIN IMMEDIATE), so read-check-write cannot interleave;
2. look up the idempotency key: the same key with the same content returns the first transaction and
   changes nothing; with other content it is refused;
3. check that no wallet goes below zero, then write the transaction, its entries (summing to zero) and
   the running balances, and keep the expiry lots in step with the wallet.
"""

from portal.core.errors import DomainError

from .accounts import account, lock_participant
from .errors import AlreadyReversed, IdempotencyConflict, InsufficientPoints
from .expiry import due_lots, expire_due_points, expire_lot
from .posting import adjust, capture_hold, earn, reverse_transaction, spend
from .program_settings import SETTING_NAMES, save_program_settings
from .queries import Balances, balance_of, balances_of, expiring_lots, find_transaction, reversal_of, wallet_account

__all__ = [
    "DomainError",
    "AlreadyReversed",
    "Balances",
    "IdempotencyConflict",
    "InsufficientPoints",
    "SETTING_NAMES",
    "account",
    "adjust",
    "balance_of",
    "balances_of",
    "capture_hold",
    "due_lots",
    "earn",
    "expire_due_points",
    "expire_lot",
    "expiring_lots",
    "find_transaction",
    "lock_participant",
    "reversal_of",
    "save_program_settings",
    "reverse_transaction",
    "spend",
    "wallet_account",
]
