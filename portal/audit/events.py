"""Audit entries for domain events other features already send (claims approved and reversed)."""

from portal.audit import services as audit
from portal.core import events


@events.claim_approved.connect
def _claim_approved(claim, actor=None, **extra):
    audit.record(audit.CLAIM_APPROVED, actor=actor, object_type="claim", object_id=claim.id,
                 changes={"points": claim.points, "participant": claim.user_id})


@events.claim_reversed.connect
def _claim_reversed(claim, actor=None, **extra):
    audit.record(audit.CLAIM_REVERSED, actor=actor, object_type="claim", object_id=claim.id,
                 changes={"points": claim.points, "participant": claim.user_id})
