"""JSON in and out of the app: bodies that cannot be parsed safely are bad requests, Cyrillic goes out as UTF-8.

Python's parser gives up on nesting deeper than its recursion limit (RecursionError) and on integers longer
than 4,300 digits (ValueError); both are the client's mistake and must answer 400, never 500.
"""

import json

from flask.json.provider import DefaultJSONProvider


class InvalidJSON(ValueError):
    """The body is not JSON the portal can read."""


def parse_json(data, **kwargs):
    """The parsed body, or InvalidJSON for anything unreadable (syntax, encoding, depth, huge numbers)."""
    try:
        return json.loads(data, **kwargs)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InvalidJSON(str(exc)[:200]) from None


class PortalJSONProvider(DefaultJSONProvider):
    """request.get_json() turns an unreadable body into 400 (Flask does it for ValueError); responses keep
    Cyrillic as UTF-8 instead of \\u escapes."""

    ensure_ascii = False

    def loads(self, s, **kwargs):
        return parse_json(s, **kwargs)
