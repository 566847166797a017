"""Claims announce; fraud reacts: a submitted claim is scored, an approval is checked.

Where a claim is submitted in a web request (the claim form, a scan attached to a draft, the partner API),
scoring runs right after the request's commit, before its answer goes out: its reads of earlier claims and its
scan's fingerprints (taken as the scan was stored, and written with the claim so that a claim scored meanwhile
finds the same scan) run outside the database's write lock, and only the risk row's write takes it again,
briefly. Elsewhere (the CLI, imports, the demo, tests of the services) scoring runs in the submitting
transaction. A claim whose scoring failed or never ran (a crash between the two commits) is scored by the
worker's "fraud-scoring" job within a minute; `services.unscored_claims` finds them.
"""

import logging

from flask import has_request_context, request

from portal.claims.models import SUBMITTED, Claim
from portal.core import events
from portal.extensions import db
from portal.fraud import services
from portal.fraud.models import ClaimRisk

log = logging.getLogger(__name__)

# Kept in the request's environ (not g, which a test's outer app context shares with the requests it makes).
AFTER_COMMIT = "portal.fraud.after_commit"  # set by every request the app dispatches
PENDING = "portal.fraud.pending"  # ids of the claims the request submitted, scored after its commit


@events.claim_submitted.connect
def _score(claim, **extra):
    if has_request_context() and request.environ.get(AFTER_COMMIT):
        services.keep_fingerprints(claim)
        request.environ.setdefault(PENDING, []).append(claim.id)
    else:
        services.score_submitted(claim)


@events.claim_approving.connect
def _four_eyes(claim, actor=None, bulk=False, **extra):
    services.check_approval(claim, actor, bulk=bulk)


def score_after_commit() -> None:
    """A `before_request` handler: this request's submitted claims are scored after its commit."""
    request.environ[AFTER_COMMIT] = True


def score_committed(response):
    """An `after_request` handler: score the claims this request submitted and committed, each committed on its
    own. What the request left uncommitted is dropped first (its teardown would drop it): a submission the request
    rolled back is not scored. A failure is logged and left to the worker's job; the answer never changes."""
    pending = request.environ.pop(PENDING, None)
    if not pending:
        return response
    db.session.rollback()
    for claim_id in pending:
        try:
            claim = db.session.get(Claim, claim_id)
            risk = db.session.get(ClaimRisk, claim_id)
            if claim is not None and claim.status == SUBMITTED and (risk is None or risk.version == services.UNSCORED):
                services.score_claim(claim)
                db.session.commit()
        except Exception:  # noqa: BLE001 - scoring never fails a submission: the worker's job scores it later
            db.session.rollback()
            log.exception("claim %s could not be scored after its submission", claim_id)
    return response
