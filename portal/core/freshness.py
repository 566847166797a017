"""Versions that tell a cached page whether it is still fresh.

A person's version grows in every transaction that changes one of their own rows (any row with a `user_id`
that the ORM flushes, and their ledger accounts, which the ledger touches by hand because it updates balances
with plain statements); the program's version (row 0) grows when a watched program-wide table changes (prizes,
courses, news). A page that caches what it shows for a person keys the cache by both versions, which the
signed-in request reads in the same statement as the person (see `load_user`), so a change is visible on the
very next request, in every process.

The versions are written at the end of the transaction (before commit), in user-id order, as the last
statements of it: a transaction holding a version row never waits for another lock afterwards, so two
transactions cannot deadlock over them. A rolled-back transaction's people stay pending and are written with
the session's next commit: a cache made stale for nothing costs one rebuild, a missed one would show old numbers.
"""

from sqlalchemy import BigInteger, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.extensions import db

PROGRAM = 0  # the row of program-wide changes
_PENDING = "freshness_pending"
_program_tables: set[str] = set()


class PersonVersion(db.Model):
    """How many transactions changed a person's own rows (user_id 0: the program's watched tables)."""

    __tablename__ = "person_versions"

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


def watch_program_tables(*models) -> None:
    """Changes to these models make every person's cached pages stale (the program's version grows)."""
    _program_tables.update(model.__tablename__ for model in models)


def touch(session: Session, *user_ids: int | None) -> None:
    """Mark these people's cached pages stale when the transaction commits (for writes the ORM does not see)."""
    session.info.setdefault(_PENDING, set()).update(uid for uid in user_ids if uid is not None)


def touch_row(session: Session, obj) -> None:
    """The person (and the program) an ORM object's row belongs to, for writes done with plain statements."""
    if isinstance(obj, PersonVersion):
        return
    table = getattr(obj, "__tablename__", None)
    user_id = obj.id if table == "users" else getattr(obj, "user_id", None)
    if isinstance(user_id, int):
        touch(session, user_id)
    if table in _program_tables:
        touch(session, PROGRAM)


def touch_rows(session: Session, model, rows: list[dict]) -> None:
    """The same for rows about to be inserted or upserted by a plain statement."""
    touch(session, *(row.get("user_id") for row in rows))
    if getattr(model, "__tablename__", None) in _program_tables:
        touch(session, PROGRAM)


@event.listens_for(Session, "after_flush")
def _collect(session, _flush_context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        touch_row(session, obj)


@event.listens_for(Session, "do_orm_execute")
def _watch_statements(state) -> None:
    """An UPDATE or DELETE of a watched program table written as a statement (a prize's stock) counts too."""
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.local_table.name in _program_tables:
        touch(state.session, PROGRAM)


@event.listens_for(Session, "before_commit")
def _write(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the versions are written by the real commit, last
    session.flush()  # the commit's own flush may touch more people: collect them first
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    bind = session.get_bind()
    insert = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(PersonVersion)
    statement = statement.on_conflict_do_update(index_elements=["user_id"],
                                                set_={"version": PersonVersion.version + 1})
    session.execute(statement, [{"user_id": uid, "version": 1} for uid in sorted(pending)])
