"""`flask fraud rescore`: score the claims waiting for review that have no score (e.g. after the upgrade)."""

import click

from portal.claims.models import Claim
from portal.extensions import db
from portal.fraud import services


def register(bp) -> None:
    @bp.cli.command("rescore")
    def rescore():
        """Score every claim waiting for review that has no risk score yet."""
        done = 0
        while ids := services.unscored_claims():
            for claim_id in ids:
                services.score_claim(db.session.get(Claim, claim_id))
                done += 1
            db.session.commit()
        click.echo(f"{done} claim(s) scored")
