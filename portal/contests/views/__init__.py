"""Contest pages: participants' (`participant`) and the program team's console (`console`), one blueprint;
`common` holds what both use and the template helpers."""

from portal.contests.views import common, console, participant  # noqa: F401 - registers the pages and helpers
from portal.contests.views.blueprint import bp

__all__ = ["bp"]
