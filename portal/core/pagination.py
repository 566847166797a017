"""Paging of list pages: one size everywhere, page number from the query string."""

from flask import request

from portal.core.fields import db_int
from portal.extensions import db

PER_PAGE = 25


def paginate(select):
    page = request.args.get("page", 1, type=db_int)
    return db.paginate(select, page=max(page, 1), per_page=PER_PAGE, error_out=False)
