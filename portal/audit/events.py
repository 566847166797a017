"""Audit entries for domain events other features already send (claims approved and reversed, audiences changed)."""

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


@events.audience_changed.connect
def _audience_changed(user, old_audience=None, new_audience=None, effective=None, actor=None, **extra):
    audit.record(audit.AUDIENCE_CHANGED, actor=actor, object_type="user", object_id=user.id,
                 changes={"audience": [old_audience, new_audience], "effective": effective, "email": user.email})
