"""Claims announce; fraud reacts in the same transaction: a submitted claim is scored, an approval is checked."""

from portal.core import events
from portal.fraud import services


@events.claim_submitted.connect
def _score(claim, **extra):
    services.score_submitted(claim)


@events.claim_approving.connect
def _four_eyes(claim, actor=None, bulk=False, **extra):
    services.check_approval(claim, actor, bulk=bulk)
