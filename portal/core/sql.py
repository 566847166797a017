"""Small SQL helpers that behave the same on SQLite and PostgreSQL."""

import functools

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.core import freshness
from portal.extensions import db


def lower_text(column):
    """lower() that folds Cyrillic whatever the database's locale, for case-insensitive search.

    SQLite's lower() knows only ASCII: a Python function registered on every connection does it.
    PostgreSQL's follows the database's locale (none in a C-locale cluster): the ICU collation does it.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        return func.portal_lower(column)
    return func.lower(column.collate("und-x-icu"))


def compare_and_set(obj, field: str, expected, **values) -> bool:
    """UPDATE the row only while `field` still holds `expected`, then reload the object.

    The conditional UPDATE is atomic on both engines (PostgreSQL waits for a concurrent writer and
    re-checks; SQLite holds its write lock), so of two requests changing the same state, one wins and
    the other gets False. Used for every state machine move."""
    model = type(obj)
    moved = db.session.execute(
        update(model).where(model.id == obj.id, getattr(model, field) == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(obj)
    if moved:
        freshness.touch_row(db.session(), obj)
    return moved == 1


def insert_ignoring_duplicates(model, rows: list[dict], unique_columns: list[str]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: a row that already exists (even one inserted by a parallel
    request a moment ago) is left as it is instead of failing the whole transaction."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(model).values(rows).on_conflict_do_nothing(index_elements=unique_columns))
    freshness.touch_rows(db.session(), model, rows)


def insert_or_add(model, row: dict, unique_columns: list[str], column: str) -> int:
    """INSERT the row, or add its `column` to the existing row's in the same statement
    (INSERT ... ON CONFLICT DO UPDATE SET column = column + excluded.column). Two requests adding at once
    both count, and neither fails on the unique constraint. Returns the column's value after the change."""
    statement = _adding(model, tuple(unique_columns), column, db.session.get_bind().dialect.name)
    freshness.touch_rows(db.session(), model, [row])
    return db.session.execute(statement, row).scalar_one()


@functools.cache
def _adding(model, unique_columns: tuple[str, ...], column: str, dialect: str):
    """Built once per use: an INSERT ... ON CONFLICT and its `excluded` row cost more to build than to run."""
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(model)
    return statement.on_conflict_do_update(
        index_elements=list(unique_columns),
        set_={column: getattr(model, column) + getattr(statement.excluded, column)},
    ).returning(getattr(model, column))


def upsert_adding(model, rows: list[dict], unique_columns: tuple[str, ...], columns: tuple[str, ...]) -> None:
    """INSERT the rows, or add their `columns` to the existing rows' (none given: leave those rows as they are),
    in one statement for all of them, built once per model, key and columns. Every row has the same keys."""
    if rows:
        db.session.execute(_upsert(model, unique_columns, columns, db.session.get_bind().dialect.name), rows)


@functools.cache
def _upsert(model, unique_columns: tuple[str, ...], columns: tuple[str, ...], dialect: str):
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(model)
    if not columns:
        return statement.on_conflict_do_nothing(index_elements=list(unique_columns))
    return statement.on_conflict_do_update(
        index_elements=list(unique_columns),
        set_={column: getattr(model, column) + getattr(statement.excluded, column) for column in columns})
