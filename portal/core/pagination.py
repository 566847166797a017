"""Paging of list pages: one size everywhere, page number from the query string."""

from flask import request
from flask_sqlalchemy.pagination import Pagination, SelectPagination

from portal.core.fields import db_int
from portal.extensions import db

PER_PAGE = 25
MAX_PAGE = 1_000_000  # a page number beyond any list: bounded so the database never sees a 40-digit offset


class _FromEitherEnd(SelectPagination):
    """A page past the middle of the list is read from its end: the order reversed, an OFFSET counted from the
    last row (so at most half the list is ever skipped, and the last page is as cheap as the first), the rows
    put back in order. The count is taken first, since it says which end is nearer."""

    def _query_items(self) -> list:
        self._total = super()._query_count()
        reverse, offset = self._query_args["reverse"], self._query_offset
        if offset * 2 < self._total or offset >= self._total:
            return super()._query_items()
        limit = min(self.per_page, self._total - offset)
        select = self._query_args["select"].order_by(None).order_by(*reverse)
        select = select.limit(limit).offset(self._total - offset - limit)
        items = list(self._query_args["session"].execute(select).unique().scalars())
        items.reverse()
        return items

    def _query_count(self) -> int:
        return self._total


def paginate(select, reverse=None):
    """A page of `select`. `reverse`: the select's ORDER BY turned around (each column descending where it was
    ascending, ending with a unique column), for long lists whose last pages people open."""
    page = min(max(request.args.get("page", 1, type=db_int), 1), MAX_PAGE)
    if reverse is None:
        return db.paginate(select, page=page, per_page=PER_PAGE, error_out=False)
    return _FromEitherEnd(select=select, session=db.session(), reverse=reverse, page=page, per_page=PER_PAGE,
                          error_out=False)


class _OfList(Pagination):
    """A page of rows already in memory (a ranking computed in Python), with the same links as a query's pages."""

    def _query_items(self) -> list:
        return self._query_args["rows"][self._query_offset:self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["rows"])


def paginate_list(rows: list):
    """A page of `rows`, numbered from the query string like `paginate`."""
    page = min(max(request.args.get("page", 1, type=db_int), 1), MAX_PAGE)
    return _OfList(rows=rows, page=page, per_page=PER_PAGE, error_out=False)
