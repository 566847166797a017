"""Plan actuals follow approved sales in the same transaction; newcomers get the running default plans."""

from portal.core import events
from portal.plans import actuals, services


@events.claim_approved.connect
def _count_sale(claim, **extra):
    actuals.record_claim(claim, +1)


@events.claim_reversed.connect
def _take_back_sale(claim, **extra):
    actuals.record_claim(claim, -1)


@events.participant_registered.connect
def _give_defaults(user, **extra):
    services.apply_defaults_to(user)
