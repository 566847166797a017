"""HTML rendered for one person, cached in each process until something of theirs changes.

Keyed by the person, the freshness versions of the person and of the program (`portal.core.freshness`, read with
the person at sign-in: no extra statement), the language, the program day and the part of the page (with what
in the request shapes it, such as the query string). Anything that changes one of the person's rows, their
ledger accounts or a watched program table makes the next request render afresh, in every process. OWN parts
(what only the person's own rows decide) live HOME_CACHE_SECONDS at most; SHARED ones, which other people's
sales move too, HOME_SHARED_CACHE_SECONDS (30 s). The home page's cards (portal/home/cache.py) and the
participant's statement (/points) are cached this way.
"""

import threading

from cachetools import TTLCache
from flask import current_app, g, request
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from portal.core.time import today

OWN, SHARED = "own", "shared"
_SECONDS = {OWN: ("HOME_CACHE_SECONDS", 300), SHARED: ("HOME_SHARED_CACHE_SECONDS", 30)}
_TOKEN = "\x00csrf\x00"  # where the request's CSRF token goes in a cached part (never a token of another session)
_lock = threading.Lock()
_caches: dict[str, TTLCache] = {}


def _store(kind: str) -> TTLCache:
    if kind not in _caches:
        setting, default = _SECONDS[kind]
        _caches[kind] = TTLCache(maxsize=current_app.config.get("HOME_CACHE_SIZE", 2000),
                                 ttl=current_app.config.get(setting, default))
    return _caches[kind]


def cached_cards(user_id: int, render, kind: str = OWN, part: tuple = (), csrf: bool = False) -> Markup:
    """`render()`'s HTML for this person, from the cache while nothing of theirs changed. OWN cards live until
    then (HOME_CACHE_SECONDS at most); SHARED ones, which other people's sales move too, HOME_SHARED_CACHE_SECONDS.
    `part` tells apart the pieces of pages cached for the same person (and whatever in the request shapes them).
    With `csrf`, the part's forms carry this request's CSRF token: the same person signed in twice (two browsers)
    has two sessions and two tokens, so the cache keeps a placeholder where the token goes."""
    freshness = g.get("freshness")
    if freshness is None:  # signed in some other way (never through the session): render every time
        return Markup(render())
    key = (user_id, freshness, str(get_locale()), today(), *part)
    with _lock:
        html = _store(kind).get(key)
    if html is None:
        html = Markup(render())
        with _lock:
            _store(kind)[key] = html.replace(generate_csrf(), _TOKEN) if csrf else html
        return html
    return Markup(html.replace(_TOKEN, generate_csrf())) if csrf else html


def forget_everything() -> None:
    """Empty the caches (tests start from an empty database, where versions begin again)."""
    with _lock:
        for cache in _caches.values():
            cache.clear()


def cached_page(user_id: int, render, name: str, longest: int = 300, csrf: bool = False) -> Markup:
    """A page's part for this person and this request's query string (filters, page), from the cache while nothing
    of theirs changed; a query string over `longest` characters is rendered every time (it would only fill the
    cache)."""
    if len(request.query_string) > longest:
        return Markup(render())
    return cached_cards(user_id, render, part=(name, request.query_string), csrf=csrf)
