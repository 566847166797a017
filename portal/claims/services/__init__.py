"""Sales claims: drafting, submitting, reviewing, approving into points, rejecting and reversing.
One module per job; this package's names are the claims API.
"""

from portal.claims.models import Claim

from .bonuses import birthday_bonuses
from .drafting import (
    ClaimData,
    LineData,
    SavedClaim,
    attach_scan,
    check_invoice_date,
    delete_draft,
    invoice_key,
    line_product_problem,
    save_claim,
    save_draft,
    submit_claim,
    twins,
)
from .lists import (
    awaiting_review_count,
    can_view,
    company_claims,
    count_awaiting_review,
    my_claims,
    next_to_review,
    review_queue,
)
from .review import (
    approve_claim,
    awarded_by_rules,
    claim_input,
    company_not_admitted,
    expected_awards,
    reject_claim,
    reverse_claim,
)

__all__ = [
    "Claim",
    "ClaimData",
    "LineData",
    "SavedClaim",
    "approve_claim",
    "attach_scan",
    "awaiting_review_count",
    "birthday_bonuses",
    "can_view",
    "check_invoice_date",
    "claim_input",
    "company_claims",
    "company_not_admitted",
    "count_awaiting_review",
    "delete_draft",
    "awarded_by_rules", "expected_awards",
    "invoice_key",
    "line_product_problem",
    "my_claims",
    "next_to_review",
    "reject_claim",
    "reverse_claim",
    "review_queue",
    "save_claim",
    "save_draft",
    "submit_claim",
    "twins",
]
