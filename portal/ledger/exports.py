"""The points statement as a table: immediate when short, written by the worker when long."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.core.exports import DATETIME, INT, Column, Table, export_builder
from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger.descriptions import describe
from portal.ledger.models import TRANSACTION_KIND_LABELS
from portal.ledger.reports import statement_query


@export_builder("ledger-statement")
def statement_table(params: dict) -> Table:
    """params: user_id, and optional date_from, date_to (ISO dates) and kind."""
    kind = params.get("kind") or ""
    query = statement_query(
        int(params["user_id"]),
        date_from=date.fromisoformat(params["date_from"]) if params.get("date_from") else None,
        date_to=date.fromisoformat(params["date_to"]) if params.get("date_to") else None,
        kind=kind if kind in TRANSACTION_KIND_LABELS else "",
    )
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))

    def rows():
        for e in db.session.scalars(query).unique():
            yield (e.transaction.created_at, describe(e.transaction), str(TRANSACTION_KIND_LABELS[e.transaction.kind]),
                   e.amount, e.balance_after)

    return Table(filename=f"points-{params['user_id']}-{utcnow():%Y%m%d}", sheet_title=_("Points statement"),
                 header=[Column(_("Date"), DATETIME), Column(_("Description")), Column(_("Operation")),
                         Column(_("Points"), INT), Column(_("Balance"), INT)],
                 rows=rows(), total=total)
