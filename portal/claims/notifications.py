from flask import url_for

from portal.claims.models import Claim
from portal.core.mail import send_email


def send_decision(claim: Claim) -> None:
    """Tell the participant what became of their claim, in their language."""
    send_email(
        claim.user.email, "claims/email/decision_subject.txt", "claims/email/decision_body.txt",
        locale=claim.user.locale, claim=claim, link=url_for("claims.detail", claim_id=claim.id, _external=True),
    )
