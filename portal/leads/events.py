"""How leads react to sales: an approved sale naming a lead earns its share; a reversal takes it back.
Also the wording of lead transactions on statements."""

from flask_babel import gettext as _

from portal.core import events
from portal.ledger.descriptions import describes

from . import services


@events.claim_approved.connect
def _share_of_approved_sale(claim, actor=None, **extra):
    if claim.lead_id is not None:
        services.award_sale_share(claim, actor)


@events.claim_reversed.connect
def _claw_back_share(claim, actor=None, **extra):
    if claim.lead_id is not None:
        services.claw_back_sale_share(claim, actor)


@describes("lead")
def _lead(transaction):
    return _("Lead #%(id)s qualified: %(customer)s", id=transaction.source_id,
             customer=transaction.params.get("customer", ""))


@describes("lead_share")
def _lead_share(transaction):
    return _("Share of sale #%(id)s (invoice %(invoice)s) closing lead #%(lead)s", id=transaction.source_id,
             invoice=transaction.params.get("invoice", ""), lead=transaction.params.get("lead", ""))
