"""Which company a sale counts for when its seller moved between the invoice date and the claim (found by
tests/test_program_stateful.py). The program's rule: a sale counts for what its seller and company belonged to on
the invoice date, so a claim records the seller's company of the invoice date, and KPI and contests count that one."""

from datetime import date, datetime, timedelta

from portal.auth.models import MANAGER
from portal.claims import services as claims
from portal.contests import services as contests
from portal.contests.models import BY_GROUP, SALES_AMOUNT, ContestScore
from portal.core.time import frozen_time
from portal.groups import services as groups
from portal.kpi import stages
from portal.kpi.models import COMPANY, GROUP, KpiCounter
from portal.partners.services import move_participant
from tests.claims import factories as f

NOW = datetime(2026, 6, 20, 9)  # noon in Moscow


def test_a_sale_claimed_after_a_move_counts_for_the_company_of_its_invoice_date(db, make):
    with frozen_time(NOW - timedelta(days=30)):
        manager = make.user(role=MANAGER)
        old, new = make.company(), make.company()
        seller = make.user(company=old)
        f.product()
        dealers = groups.save_group("Дилеры", "", manager)
        groups.add_company(dealers, old, manager)
        stages.save_stage("Июнь", date(2026, 6, 1), date(2026, 6, 30))
        contest = contests.save_contest(contests.ContestData(
            title="Дилеры", starts_at=NOW - timedelta(days=10), ends_at=NOW + timedelta(days=10),
            metric=SALES_AMOUNT, league_mode=BY_GROUP, group_ids=[dealers.id]), manager)
        contests.publish_contest(contest, manager)
    with frozen_time(NOW):
        move_participant(seller, new, manager)  # today; the sale below was made at the old company
        claim = f.submitted(seller, number="СЧ-1", invoice_date=date(2026, 6, 15),
                            lines=[claims.LineData("SPL-09", 1, 1_000_000)])
        claims.approve_claim(claim, manager)

    def counted(kind, key):
        row = db.session.query(KpiCounter).filter_by(scope_kind=kind, scope_key=key).one_or_none()
        return row.claims_approved if row else 0

    assert (counted(COMPANY, str(old.id)), counted(COMPANY, str(new.id))) == (1, 0)
    assert counted(GROUP, str(dealers.id)) == 1
    assert db.session.query(ContestScore).filter_by(contest_id=contest.id).count() == 1
