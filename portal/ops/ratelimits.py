"""Rate-limit counters in the portal's own database: the `database://` storage of Flask-Limiter and `limits`.

Without Redis, every gunicorn process (and every machine on the same database) must still see the same counters:
counters kept in each process's memory let an address make WEB_WORKERS times the failed sign-ins the limit allows
(issue #24). So when neither RATELIMIT_STORAGE_URI nor REDIS_URL is set, the counters live here, one row per
key and fixed window, incremented atomically (INSERT ... ON CONFLICT DO UPDATE ... RETURNING, on SQLite and
PostgreSQL alike).

Each call runs in a transaction of its own on its own connection and commits at once: a counter must survive
the rollback of the request that counted it (a failed sign-in rolls back). Callers count outside their own
write transaction (before it starts or after it commits), so on SQLite the counter's write never waits for
the request's own.
"""

import time

from limits.storage import Storage
from sqlalchemy import CheckConstraint, Float, Integer, String, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

SCHEME = "database"
# Expired rows are deleted by the process that notices, at most once per this many seconds.
PURGE_EVERY_SECONDS = 60


class RateLimitCounter(db.Model):
    """One rate-limit counter: how many hits `key` has had in the window that ends at `expires_at`."""

    __tablename__ = "rate_limit_counters"
    __table_args__ = (CheckConstraint("hits >= 0", name="hits_not_negative"),)

    key: Mapped[str] = mapped_column(String(1000), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    # Seconds since the epoch (time.time()), as the `limits` storages report it.
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class DatabaseStorage(Storage):
    """A fixed-window `limits` storage on the app's SQLAlchemy engine (`RATELIMIT_STORAGE_URI=database://`)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._purged_at = 0.0

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    @staticmethod
    def _engine():
        # The engine of the app serving the request: one Limiter object serves every app of the process.
        return db.engine

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        table = RateLimitCounter.__table__
        engine = self._engine()
        insert = (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(table)
        expired = table.c.expires_at <= now
        statement = insert.values(key=key, hits=amount, expires_at=now + expiry).on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                # A window that has ended starts again from this hit.
                "hits": case((expired, amount), else_=table.c.hits + amount),
                "expires_at": case((expired, now + expiry), else_=table.c.expires_at),
            },
        ).returning(table.c.hits)
        with engine.begin() as connection:
            count = connection.execute(statement).scalar_one()
            if now - self._purged_at > PURGE_EVERY_SECONDS:
                self._purged_at = now
                connection.execute(delete(table).where(table.c.expires_at <= now))
        return count

    def _row(self, key: str):
        table = RateLimitCounter.__table__
        with self._engine().connect() as connection:
            return connection.execute(
                select(table.c.hits, table.c.expires_at).where(table.c.key == key, table.c.expires_at > time.time())
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.hits if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row.expires_at if row else time.time()

    def check(self) -> bool:
        try:
            with self._engine().connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._engine().begin() as connection:
            return connection.execute(delete(RateLimitCounter.__table__)).rowcount

    def clear(self, key: str) -> None:
        with self._engine().begin() as connection:
            connection.execute(delete(RateLimitCounter.__table__).where(RateLimitCounter.__table__.c.key == key))
