"""The request class: what arrives in query strings and forms is cleaned once, before any view reads it."""

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict


def _clean(value):
    # PostgreSQL text cannot hold NUL, and no person types one: drop it rather than fail in the database.
    return value.replace("\x00", "") if isinstance(value, str) else value


class CleanParameters(ImmutableMultiDict):
    """Query-string and form values without NUL characters."""

    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
        elif isinstance(mapping, MultiDict):
            super().__init__([(key, _clean(value)) for key, value in mapping.items(multi=True)])
        elif isinstance(mapping, dict):
            super().__init__({key: _clean(value) for key, value in mapping.items()})
        else:
            super().__init__([(key, _clean(value)) for key, value in mapping])


class PortalRequest(Request):
    parameter_storage_class = CleanParameters
