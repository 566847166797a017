"""The participant's own home cards (points, shop, training, sales, orders), rendered once per change.

Contest place, plan progress and the partner admin's company KPI move with other people's sales as well: they
are cached the same way but for at most HOME_SHARED_CACHE_SECONDS (30 s).

The cards are cached in each process, keyed by the person, the freshness versions of the person and of the
program (`portal.core.freshness`, read with the person at sign-in: no extra statement), the language and the
program day. Anything that changes one of the person's rows, their ledger accounts, a prize, a course or a news
item makes the next request render them afresh, in every process. What changes without touching those rows
(a group the company joins, which alters what it may see) shows within HOME_CACHE_SECONDS. The mechanism is
portal/core/person_cache.py, which the statement (/points) uses too.
"""

from portal.core.freshness import watch_program_tables
from portal.core.person_cache import OWN, SHARED, cached_cards, forget_everything  # noqa: F401 - the mechanism
from portal.shop.models import Prize, PrizeCategory
from portal.training.models import Course, CourseItem


def watch_what_the_cards_show() -> None:
    """The program-wide rows the cached cards read: a change to any of them refreshes everyone's cards."""
    watch_program_tables(Prize, PrizeCategory, Course, CourseItem)
