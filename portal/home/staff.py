"""What the program team's home page counts: the queues waiting for them."""

from sqlalchemy import select

from portal.claims.services import awaiting_review_count
from portal.extensions import db
from portal.partners.services import pending_companies_count
from portal.shop.services import count_to_fulfil


def staff_counts() -> dict[str, int]:
    """Claims awaiting review and companies awaiting approval (read in one statement), orders to fulfil."""
    claims, companies = db.session.execute(
        select(awaiting_review_count().scalar_subquery(), pending_companies_count().scalar_subquery())).one()
    return {"claims": int(claims or 0), "companies": int(companies or 0), "orders": count_to_fulfil()}
