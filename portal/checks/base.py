"""What a check is, what it finds, and the savepoint a check that rebuilds to compare runs in."""

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from portal.extensions import db


@dataclass(frozen=True)
class Check:
    name: object  # a lazy translated title: "Points ledger"
    run: Callable[[], list]


@dataclass
class Result:
    check: Check
    findings: list = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.findings


@contextmanager
def rolled_back():
    """A savepoint that is always rolled back: a rebuild inside it compares and leaves the stored rows as they were."""
    savepoint = db.session.begin_nested()
    try:
        yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()
