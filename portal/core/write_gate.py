"""SQLite writers take turns at a gate instead of polling SQLite's lock.

SQLite has one write lock per database. A connection that finds it taken calls SQLite's busy handler, which
sleeps and retries in growing steps (1, 2, 5 ... 50, 100 ms): a writer that has waited a while looks again only
every 100 ms, and newcomers, still at their 1 ms steps, take the lock before it. Under load that is the whole
tail of a form's response time (bench/README.md, "Writes under load").

Here a connection about to write for the first time in its transaction (INSERT, UPDATE, DELETE, REPLACE: the
statements before which Python's sqlite3 opens a transaction) first passes a gate: a lock between the threads
of the process, then an exclusive `flock` on a file beside the database between processes (gunicorn workers,
the job worker, the CLI). Both wake the next waiter the moment the holder leaves, at its commit or rollback (or
when its connection closes). Readers never wait: WAL lets them read beside the writer. The gate is advisory;
SQLite's own lock still decides, so a tool that does not pass the gate is safe, only not queued.

A thread that already holds the gate and writes through a second connection passes without waiting (it would
wait for itself); SQLite's busy timeout answers that case as before.
"""

import fcntl
import os
import sqlite3
import threading

# Statements before which sqlite3 (legacy transaction control, SQLAlchemy's default) begins a transaction.
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
WAIT_SECONDS = 30  # as the connections' busy timeout: then the write goes on and SQLite's own lock answers


class _Gate:
    """One database's gate in this process: a thread lock, and the flock of its file while a thread holds it."""

    def __init__(self, path: str):
        self.path, self.pid = path, os.getpid()
        self.lock, self.owner, self.fd = threading.Lock(), None, None

    def enter(self) -> bool:
        """Wait for the gate. False when this thread holds it already or the wait timed out (go on ungated)."""
        if self.owner == threading.get_ident() or not self.lock.acquire(timeout=WAIT_SECONDS):
            return False
        try:
            if self.fd is None:
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self.fd, fcntl.LOCK_EX)  # blocks with the GIL released; the kernel wakes us at unlock
        except OSError:
            self.lock.release()  # a file that cannot be locked (read-only folder): SQLite's lock alone decides
            return False
        self.owner = threading.get_ident()
        return True

    def leave(self) -> None:
        self.owner = None
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.lock.release()


_gates: dict[str, _Gate] = {}
_gates_lock = threading.Lock()


def gate_for(database: str) -> _Gate | None:
    """The gate of a database file, None for an in-memory database. One per process: a forked worker makes its
    own (a flock is shared with the parent through an inherited descriptor, so it would not keep them apart)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = os.path.abspath(database) + "-gate"
    with _gates_lock:
        gate = _gates.get(path)
        if gate is None or gate.pid != os.getpid():
            gate = _gates[path] = _Gate(path)
        return gate


class GatedCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=(), /):
        self.connection.before_statement(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.after_statement()

    def executemany(self, sql, seq_of_parameters, /):
        self.connection.before_statement(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            self.connection.after_statement()


class GatedConnection(sqlite3.Connection):
    """A sqlite3 connection that passes the gate before its transaction's first write and leaves it at the end
    of the transaction. Given to sqlite3.connect as `factory` (portal/__init__.py)."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._gate = gate_for(os.fsdecode(database))
        self._holding = False

    def cursor(self, factory=GatedCursor):
        return super().cursor(factory)

    def execute(self, sql, parameters=(), /):  # sqlite3's shortcuts make their cursor without cursor()
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):
        return self.cursor().executemany(sql, seq_of_parameters)

    def before_statement(self, sql: str) -> None:
        if self._gate is not None and not self._holding and sql.lstrip()[:7].upper().startswith(_WRITES):
            self._holding = self._gate.enter()

    def after_statement(self) -> None:
        if self._holding and not self.in_transaction:  # autocommit mode: the statement was the transaction
            self._leave()

    def _leave(self) -> None:
        if getattr(self, "_holding", False):
            self._holding = False
            self._gate.leave()

    def commit(self):
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._leave()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self._leave()

    def close(self):
        try:
            super().close()
        finally:
            self._leave()

    def __del__(self):  # a connection dropped without close() rolls back as it goes: the gate opens with it
        self._leave()
