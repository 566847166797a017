"""The participant's own home cards (points, shop, training, sales, orders), rendered once per change.

Contest place, plan progress and the partner admin's company KPI move with other people's sales as well: they
are cached the same way but for at most HOME_SHARED_CACHE_SECONDS (30 s).

The cards are cached in each process, keyed by the person, the freshness versions of the person and of the
program (`portal.core.freshness`, read with the person at sign-in: no extra statement), the language and the
program day. Anything that changes one of the person's rows, their ledger accounts, a prize, a course or a news
item makes the next request render them afresh, in every process. What changes without touching those rows
(a group the company joins, which alters what it may see) shows within HOME_CACHE_SECONDS.
"""

import threading

from cachetools import TTLCache
from flask import current_app, g
from flask_babel import get_locale
from markupsafe import Markup

from portal.core.freshness import watch_program_tables
from portal.core.time import today
from portal.shop.models import Prize, PrizeCategory
from portal.training.models import Course, CourseItem

OWN, SHARED = "own", "shared"
_SECONDS = {OWN: ("HOME_CACHE_SECONDS", 300), SHARED: ("HOME_SHARED_CACHE_SECONDS", 30)}
_lock = threading.Lock()
_caches: dict[str, TTLCache] = {}


def _store(kind: str) -> TTLCache:
    if kind not in _caches:
        setting, default = _SECONDS[kind]
        _caches[kind] = TTLCache(maxsize=current_app.config.get("HOME_CACHE_SIZE", 2000),
                                 ttl=current_app.config.get(setting, default))
    return _caches[kind]


def cached_cards(user_id: int, render, kind: str = OWN) -> Markup:
    """`render()`'s HTML for this person, from the cache while nothing of theirs changed. OWN cards live until
    then (HOME_CACHE_SECONDS at most); SHARED ones, which other people's sales move too, HOME_SHARED_CACHE_SECONDS."""
    freshness = g.get("freshness")
    if freshness is None:  # signed in some other way (never through the session): render every time
        return Markup(render())
    key = (user_id, freshness, str(get_locale()), today())
    with _lock:
        html = _store(kind).get(key)
    if html is None:
        html = Markup(render())
        with _lock:
            _store(kind)[key] = html
    return html


def forget_everything() -> None:
    """Empty the caches (tests start from an empty database, where versions begin again)."""
    with _lock:
        for cache in _caches.values():
            cache.clear()


def watch_what_the_cards_show() -> None:
    """The program-wide rows the cached cards read: a change to any of them refreshes everyone's cards."""
    watch_program_tables(Prize, PrizeCategory, Course, CourseItem)
