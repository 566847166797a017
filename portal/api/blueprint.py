"""The /api/v1 blueprint: key authentication before the body is read, scopes, rate limits, problem errors."""

import base64
import binascii
from copy import deepcopy
from functools import wraps

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from limits import parse
from sqlalchemy.exc import IntegrityError
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import HTTPException

from portal.core.errors import DomainError, NotAllowed
from portal.core.json_body import InvalidJSON, parse_json
from portal.extensions import db, limiter

from . import idempotency
from .errors import StateConflict, UnreadableBody, http_problem, problem
from .models import ApiKey
from .reference import N_
from .services import authenticate, touch_key


class BodyParser(FlaskParser):
    """webargs, reading JSON bodies with the portal's parser: too deep, a number too long or broken JSON is
    a 400 problem rather than a crash."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        if not data.strip():
            return core.missing
        try:
            return parse_json(data)
        except InvalidJSON:
            raise UnreadableBody() from None


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = BodyParser()


bp = ApiBlueprint("api", __name__, url_prefix="/api/v1", description=N_("Partner loyalty portal API"))

MAX_ID = 2**31 - 1


def current_key() -> ApiKey:
    return g.api_key


@bp.before_request
def authenticate_request():
    """Runs before anything reads the body: a wrong or revoked key never gets its upload parsed."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    key = authenticate(token.strip()) if scheme.lower() == "bearer" else None
    if key is None:
        db.session.rollback()
        return problem(401, headers={"WWW-Authenticate": 'Bearer realm="api"'})
    g.api_key = key
    if _over_rate_limit(key):
        db.session.rollback()
        return problem(429, headers={"Retry-After": "60"})
    touch_key(key)
    db.session.commit()
    return idempotency.begin(key)


def _over_rate_limit(key: ApiKey) -> bool:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return False
    rate = parse(current_app.config.get("API_RATE_LIMIT", "600 per minute"))
    return not limiter.limiter.hit(rate, "api-key", str(key.id))


@bp.after_request
def finish_request(response):
    return idempotency.finish(response)


@bp.errorhandler(HTTPException)
def http_error(error):
    return http_problem(error)


@bp.errorhandler(NotAllowed)
def not_allowed(error):
    return problem(403, error.message)


@bp.errorhandler(DomainError)
def domain_error(error):
    return problem(422, error.message, errors={error.field or "_request": [str(error.message)]})


@bp.errorhandler(StateConflict)
def state_conflict(error):
    return problem(409, error.message, extra={"current_status": error.state, "current_status_label": error.label})


@bp.errorhandler(IntegrityError)
def integrity_error(error):
    return problem(409)


@bp.errorhandler(Exception)
def unexpected_error(error):
    current_app.logger.exception("API request failed")
    return problem(500)


class MissingScope(HTTPException):
    code = 403


def requires(*scopes: str):
    """Allow the endpoint to keys holding any of `scopes`; documented as the last paragraph of the operation's
    description (the reference translates it, see reference.py)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_key().scope_set & set(scopes):
                raise MissingScope()
            return view(*args, **kwargs)

        note = "Scopes: " + " or ".join(f"`{s}`" for s in scopes) + "."
        apidoc = deepcopy(getattr(view, "_apidoc", {}))
        manual = apidoc.setdefault("manual_doc", {})
        manual["description"] = "\n\n".join(text for text in (manual.get("description"), note) if text)
        wrapped._apidoc = apidoc
        return wrapped

    return decorator


def get_or_404(model, object_id: int):
    from flask import abort

    obj = db.session.get(model, object_id) if 0 < object_id <= MAX_ID else None
    if obj is None:
        abort(404)
    return obj


# --- cursors: an opaque string for "after this id" ------------------------------------------------


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    version, _sep, number = text.partition(":")
    if version != "v1" or not number.isdigit() or len(number) > 12:
        raise DomainError(_l("This cursor is not valid: use next_cursor from the previous page."), field="cursor")
    return int(number)


def page(query, id_column, args: dict, *, descending: bool = True):
    """One page of `query` by cursor: (items, next_cursor)."""
    after = decode_cursor(args.get("cursor"))
    limit = args.get("limit") or 50
    if after is not None:
        query = query.where(id_column < after if descending else id_column > after)
    query = query.order_by(None).order_by(id_column.desc() if descending else id_column.asc()).limit(limit + 1)
    items = list(db.session.scalars(query).unique())
    more = len(items) > limit
    items = items[:limit]
    return items, encode_cursor(items[-1].id) if more and items else None
