"""Small SQL helpers that behave the same on SQLite and PostgreSQL."""

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.extensions import db


def lower_text(column):
    """lower() that folds Cyrillic whatever the database's locale, for case-insensitive search.

    SQLite's lower() knows only ASCII: a Python function registered on every connection does it.
    PostgreSQL's follows the database's locale (none in a C-locale cluster): the ICU collation does it.
    """
    from sqlalchemy import func

    if db.session.get_bind().dialect.name == "sqlite":
        return func.portal_lower(column)
    return func.lower(column.collate("und-x-icu"))


def insert_ignoring_duplicates(model, rows: list[dict], unique_columns: list[str]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: a row that already exists (even one inserted by a parallel
    request a moment ago) is left as it is instead of failing the whole transaction."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(model).values(rows).on_conflict_do_nothing(index_elements=unique_columns))
