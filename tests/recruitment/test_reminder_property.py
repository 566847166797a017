"""A property of the sending job over any order of runs, registrations and unsubscribes: each invitee gets the
invitation and at most the configured reminders, nothing after its company registered or its address
unsubscribed, and no run sends more than the hour's rate."""

import itertools
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.auth import registration
from portal.auth.models import MANAGER
from portal.auth.services import Registration
from portal.core.time import frozen_time
from portal.core.tokens import make_token
from portal.ops.models import OutboxMessage
from portal.recruitment import links
from portal.recruitment.models import RecruitmentInvitee
from portal.recruitment.sending import send_recruitment_mail
from tests.recruitment import helpers as h

RATE, DAYS = 2, (3, 7)
_epochs = itertools.count(1)


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER)


@pytest.fixture
def rate(app):
    saved = app.config["RECRUITMENT_MAILS_PER_HOUR"], app.config["RECRUITMENT_REMINDER_DAYS"]
    app.config.update(RECRUITMENT_MAILS_PER_HOUR=RATE, RECRUITMENT_REMINDER_DAYS=DAYS)
    yield
    app.config["RECRUITMENT_MAILS_PER_HOUR"], app.config["RECRUITMENT_REMINDER_DAYS"] = saved


def _register(invitee: RecruitmentInvitee, epoch: int) -> None:
    registration.submit_registration(Registration(
        full_name="Сотрудник Компании", email=f"staff{epoch}-{invitee.id}@example.test", phone="+79161234567",
        birthday=None, audience="manager", job_title="", password="okna2026x", inn=invitee.inn,
        company_name=invitee.company_name, company_region="Москва", accepted_rules=True, accepted_personal_data=True))


ACTIONS = st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["run", "run", "register", "unsubscribe"]),
                             st.integers(0, 2)), max_size=12)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_each_invitee_gets_at_most_the_reminders_and_nothing_after_it_stopped(english, db, manager, rate, actions):
    epoch = next(_epochs)
    now = datetime(2030, 1, 1, 9, 0) + timedelta(days=400 * epoch)  # each example on a clock of its own
    emails = [f"p{epoch}-{k}@example.test" for k in range(3)]
    campaign = h.campaign(manager, *(h.row(email=e) for e in emails), name=f"Кампания {epoch}")
    db.session.commit()
    invitees = db.session.scalars(select(RecruitmentInvitee).where(RecruitmentInvitee.campaign_id == campaign.id)
                                  .order_by(RecruitmentInvitee.id)).all()
    stopped_at: dict[str, datetime] = {}
    for days, action, k in [*actions, *[(10, "run", 0)] * 8]:  # then long enough for everything due
        now += timedelta(days=days, minutes=61)
        with frozen_time(now):
            if action == "run":
                assert send_recruitment_mail(now) <= RATE
            elif emails[k] not in stopped_at:
                if action == "register":
                    _register(invitees[k], epoch)
                else:
                    links.opt_out(make_token(links.UNSUBSCRIBE_PURPOSE, invitees[k].id))
                stopped_at[emails[k]] = now
            db.session.commit()
    for email in emails:
        sent = db.session.scalars(select(OutboxMessage.created_at).where(OutboxMessage.to_address == email)).all()
        assert len(sent) <= 1 + len(DAYS)
        assert all(moment < stopped_at[email] for moment in sent) if email in stopped_at else len(sent) == 3
