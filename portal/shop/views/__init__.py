"""The shop's pages: participants' (`participant`) and the program team's console (`console`), one blueprint."""

from portal.shop.views import console, participant  # noqa: F401 - registers the pages on the blueprint
from portal.shop.views.blueprint import bp

__all__ = ["bp"]
