"""Why the ledger refuses an operation."""

from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError


class InsufficientPoints(DomainError):
    def __init__(self, available: int, needed: int):
        super().__init__(
            _l("Not enough points: %(available)s available, %(needed)s needed.", available=available, needed=needed),
            field="points",
        )
        self.available = available
        self.needed = needed


class IdempotencyConflict(DomainError):
    """The same idempotency key was posted with different content: a bug in the caller, never retried."""

    def __init__(self, key: str):
        super().__init__(_l("This operation was already recorded with different details."))
        self.key = key


class AlreadyReversed(DomainError):
    def __init__(self):
        super().__init__(_l("This transaction has already been reversed."))
