"""Reading numbers from query strings without trusting them: out-of-range ids become "not given"."""

from flask import request

from portal.core.fields import INT_MAX as MAX_ID
from portal.core.fields import as_id
from portal.extensions import db


def id_arg(name: str) -> int | None:
    """A positive id from the query string, or None when absent, not a number or out of range."""
    return as_id(request.args.get(name, ""))


def text_arg(name: str, limit: int = 200) -> str:
    """A query-string text cut to a sane length, without NUL characters (PostgreSQL refuses them)."""
    return clean_text(request.args.get(name, ""))[:limit]


def clean_text(value) -> str:
    """Text as typed, minus NUL characters that no database column may hold."""
    return str(value or "").replace("\x00", "")


def get_or_404(model, ident: int):
    """db.get_or_404 that answers 404 for an id no INTEGER column can hold, instead of a database error."""
    from flask import abort

    if not 0 < ident <= MAX_ID:
        abort(404)
    return db.get_or_404(model, ident)
