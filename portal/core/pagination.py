"""Paging of list pages: one size everywhere, page number from the query string."""

from flask import request

from portal.core.fields import db_int
from portal.extensions import db

PER_PAGE = 25
MAX_PAGE = 1_000_000  # a page number beyond any list: bounded so the database never sees a 40-digit offset


def paginate(select):
    page = request.args.get("page", 1, type=db_int)
    return db.paginate(select, page=min(max(page, 1), MAX_PAGE), per_page=PER_PAGE, error_out=False)
