"""Minimised from tests/test_program_stateful.py (boards_lead_with_the_best_sales): a seller sells today at a company
in the contest's group, the sale is approved, and later the same day the seller is moved to a company in no group.

The sale stays with the company that issued the invoice, the one the claim recorded when it was drafted (the
seller's company on the invoice date as it stood then): a move never takes a counted sale away from its league,
just as an audience change never moves what was counted (it starts tomorrow). A claim drafted after the move for
the same day is the new company's."""

from datetime import timedelta

from portal.claims import services as claims
from portal.contests import boards, scoring
from portal.contests.models import BY_GROUP
from portal.core.time import frozen_time, today, utcnow
from portal.partners.services import move_participant
from tests.claims import factories as cf
from tests.contests import helpers as h


def league_board(contest):
    return {row.user_id: row.value for row in boards.top(contest.id, contest.leagues[0].id, 10)}


def test_a_sale_made_before_a_same_day_move_stays_in_the_old_companys_group_league(db, make, manager, shop):
    old, new = make.company(), make.company()
    dealers = h.group("Дилеры", old)
    contest = h.contest(manager, league_mode=BY_GROUP, group_ids=[dealers.id])
    seller = make.user(company=old, full_name="Анна")
    claim = cf.submitted(seller, number="СЧ-1", invoice_date=today(),
                         lines=[claims.LineData("SPL-09", 4, 1_000_000)])
    claims.approve_claim(claim, manager)
    with frozen_time(utcnow() + timedelta(minutes=5)):
        move_participant(seller, new, manager)  # later the same program day
        assert claim.company_id == old.id
        assert league_board(contest) == {seller.id: 4_000_000}
        assert scoring.recompute_all(fix=False) == []

        after = cf.submitted(seller, number="СЧ-2", invoice_date=today(),
                             lines=[claims.LineData("SPL-09", 1, 1_000_000)])
        claims.approve_claim(after, manager)
        assert after.company_id == new.id  # drafted after the move: the new company's, in no group of the contest
        assert league_board(contest) == {seller.id: 4_000_000}
        assert scoring.recompute_all(fix=False) == []
