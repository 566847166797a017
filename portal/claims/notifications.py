from flask import url_for

from portal.claims.models import Claim
from portal.core.mail import send_email
from portal.notifications.services import notify


def send_decision(claim: Claim) -> None:
    """Tell the participant what became of their claim, in their language."""
    send_email(
        claim.user.email, "claims/email/decision_subject.txt", "claims/email/decision_body.txt",
        locale=claim.user.locale, category="decisions", claim=claim,
        link=url_for("claims.detail", claim_id=claim.id, _external=True),
    )
    notify(claim.user_id, f"claim_{claim.status}", {"id": claim.id, "points": claim.points or 0,
                                                    "reason": claim.rejection_reason or ""},
           url_for("claims.detail", claim_id=claim.id))
