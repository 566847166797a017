"""Errors of the API as RFC 9457 problem documents (application/problem+json), in the caller's language."""

import json
import re

from flask import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: _l("Bad request"),
    401: _l("Unauthorised"),
    403: _l("Forbidden"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("Request too large"),
    415: _l("Unsupported media type"),
    422: _l("Invalid request"),
    428: _l("Precondition required"),
    429: _l("Too many requests"),
    500: _l("Internal error"),
}
DETAILS = {
    400: _l("The request could not be understood."),
    401: _l("Send a valid, active API key as: Authorization: Bearer <key>."),
    403: _l("This API key does not have the permission for this request."),
    404: _l("There is no such resource, or it is not available to this key."),
    405: _l("This method is not allowed here."),
    409: _l("Another request changed the same data at the same time. Try again."),
    413: _l("The request is larger than the API accepts."),
    415: _l("Send the body as JSON (Content-Type: application/json)."),
    422: _l("Some fields are wrong: see errors."),
    429: _l("Too many requests with this key. Wait and try again."),
    500: _l("We could not complete the request. Nothing was saved; try again later."),
}

# marshmallow's and webargs's own messages, in the caller's language.
FIELD_MESSAGES = {
    "Missing data for required field.": _l("This field is required."),
    "Field may not be null.": _l("This field cannot be empty."),
    "Unknown field.": _l("Unknown field."),
    "Not a valid integer.": _l("Enter a whole number."),
    "Not a valid number.": _l("Enter a number."),
    "Not a valid string.": _l("Enter text."),
    "Not a valid date.": _l("Enter a date as YYYY-MM-DD."),
    "Not a valid datetime.": _l("Enter a date and time in ISO 8601."),
    "Not a valid boolean.": _l("Enter true or false."),
    "Not a valid list.": _l("Enter a list."),
    "Not a valid email address.": _l("Enter a valid e-mail address."),
    "Invalid input type.": _l("The value has the wrong type."),
    "Invalid value.": _l("Invalid value."),
    "Invalid input.": _l("Invalid value."),
    "Special numeric values (nan or infinity) are not permitted.": _l("Enter a finite number."),
    "Invalid JSON body.": _l("The body is not valid JSON."),
    "Not a valid mapping type.": _l("Enter an object."),
}
_TEMPLATED = (
    (re.compile(r"^Must be one of: (.*)\.$"), lambda m: _("Must be one of: %(choices)s.", choices=m.group(1))),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), lambda m: _("At most %(n)s characters.", n=m.group(1))),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
     lambda m: _("From %(min)s to %(max)s items or characters.", min=m.group(1), max=m.group(2))),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"),
     lambda m: _("At least %(n)s items or characters.", n=m.group(1))),
    (re.compile(r"^Must be greater than or equal to (-?\d+) and less than or equal to (-?\d+)\.$"),
     lambda m: _("From %(min)s to %(max)s.", min=m.group(1), max=m.group(2))),
    (re.compile(r"^Must be greater than or equal to (-?\d+)\.$"), lambda m: _("At least %(n)s.", n=m.group(1))),
)


def translate_message(message) -> str:
    text = str(message)
    if text in FIELD_MESSAGES:
        return str(FIELD_MESSAGES[text])
    for pattern, render in _TEMPLATED:
        found = pattern.match(text)
        if found:
            return render(found)
    return text


def flatten_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """webargs' nested {location: {field: [...]}} as {"lines.0.sku": ["..."]}, translated."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for name, value in messages.items():
            key = f"{prefix}.{name}" if prefix else str(name)
            for field, texts in flatten_errors(value, key).items():
                flat.setdefault(field, []).extend(texts)
    elif isinstance(messages, list | tuple):
        if all(not isinstance(m, dict | list | tuple) for m in messages):
            flat[prefix or "_request"] = [translate_message(m) for m in messages]
        else:
            for m in messages:
                for field, texts in flatten_errors(m, prefix).items():
                    flat.setdefault(field, []).extend(texts)
    else:
        flat[prefix or "_request"] = [translate_message(messages)]
    return flat


class UnreadableBody(HTTPException):
    """A JSON body the API cannot read: broken, nested too deeply, or with a number too long."""

    code = 400
    problem_detail = _l("The request body is not valid JSON (or it nests too deeply, or holds a number too long "
                        "to read).")


class StateConflict(Exception):
    """The object is not in a state the action applies to: 409 with its current state in the problem."""

    def __init__(self, message, obj, label):
        super().__init__(str(message))
        self.message = message
        self.state = obj.status
        self.label = str(label)


def problem(status: int, detail=None, errors: dict | None = None, headers: dict | None = None,
            extra: dict | None = None) -> Response:
    """An RFC 9457 problem; `extra` adds members (e.g. the current state of a conflicting object)."""
    body = {
        "type": "about:blank",
        "title": str(TITLES.get(status, TITLES[400] if status < 500 else TITLES[500])),
        "status": status,
        "detail": str(detail if detail is not None else DETAILS.get(status, TITLES.get(status, ""))),
    }
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    response.headers["Content-Language"] = _locale()
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "ru")


def http_problem(error: HTTPException) -> Response:
    """Any HTTP error raised under /api (webargs' validation errors carry their messages in `data`)."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    errors = flatten_errors(_strip_locations(messages)) if messages else None
    headers = dict(data.get("headers") or {})
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    if status == 429:
        headers.setdefault("Retry-After", "60")
    return problem(status, getattr(error, "problem_detail", None), errors=errors, headers=headers)


def _strip_locations(messages):
    """webargs groups messages by location (json, query, files); callers care about the field only."""
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "files", "form", "headers", "view_args"}:
        merged: dict = {}
        for value in messages.values():
            if isinstance(value, dict):
                merged.update(value)
            else:
                merged.setdefault("_request", value)
        return merged
    return messages
