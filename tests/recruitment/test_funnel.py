"""The funnel from the real steps: the mailed link opened, the registration it fills in, the confirmation link, the
company's approval, the first approved sale and the first passed course; the stuck list and its export; `portal
check` clean and finding a planted drift."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from portal.auth import services as accounts
from portal.auth.models import MANAGER, User
from portal.checks.runner import checks, run_checks
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import PENDING, PartnerCompany
from portal.recruitment import services
from portal.recruitment.checks import funnel_drift
from portal.recruitment.models import STEPS, RecruitmentCampaign, RecruitmentInvitee
from portal.recruitment.sending import send_recruitment_mail
from portal.training import services as training
from tests.auth.test_views import FORM
from tests.contests import helpers as contest
from tests.recruitment import helpers as h
from tests.training import factories as courses


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER, email="boss@example.test")


def counts(campaign_id, **filters) -> dict[str, int]:
    return {s.step: s.count for s in services.funnel(campaign_id, **filters)[1]}


def invited_company(db, manager, mailbox, client, inn):
    """A campaign of two companies, both mailed; the first one's contact opens the link and registers with it."""
    group = contest.group("Дилеры Казани")
    campaign = h.campaign(manager, h.row(inn, email="anna@example.test", region="Казань", group="Дилеры Казани"),
                          h.row(email="late@example.test", region="Москва"))
    db.session.commit()
    send_recruitment_mail(utcnow())
    link = urlsplit(mailbox.link_in(mailbox.last_to("anna@example.test")))
    page = client.get(f"{link.path}?{link.query}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'value="{inn}"' in text and 'value="anna@example.test"' in text and "Иван Петров" in text
    response = client.post(f"{link.path}?{link.query}", data={**FORM, "email": "anna@example.test", "inn": inn})
    assert response.status_code == 200
    db.session.expire_all()
    return campaign, group


def test_the_funnel_follows_a_company_from_the_invitation_to_its_first_course(english, db, manager, mailbox,
                                                                              client):
    inn = h.inn()
    campaign, group = invited_company(db, manager, mailbox, client, inn)
    assert counts(campaign.id) == dict(invited=2, opened=1, registered=1, confirmed=0, approved=0, first_sale=0,
                                       first_course=0)
    client.get(urlsplit(mailbox.link_in(mailbox.last_to("anna@example.test"))).path)  # the confirmation link
    company = db.session.scalar(select(PartnerCompany).where(PartnerCompany.inn == inn))
    assert company.status == PENDING
    client.post("/logout")
    client.post("/login", data={"email": "boss@example.test", "password": "secret123"})
    assert client.post(f"/console/companies/{company.id}/approve").status_code == 302
    db.session.expire_all()
    anna = db.session.scalar(select(User).where(User.email == "anna@example.test"))
    contest.catalogue()
    contest.sale(anna, manager)
    quiz = courses.quiz_of(courses.course())
    training.submit_quiz(anna, quiz, courses.right_answers(quiz))
    db.session.commit()
    assert counts(campaign.id) == dict(invited=2, opened=1, registered=1, confirmed=1, approved=1, first_sale=1,
                                       first_course=1)
    assert counts(campaign.id, group_id=group.id)["first_course"] == 1
    assert counts(campaign.id, region="Москва") == dict(invited=1, opened=0, registered=0, confirmed=0, approved=0,
                                                         first_sale=0, first_course=0)
    companies, steps = services.funnel(campaign.id)
    assert companies == 2 and steps[1].conversion == 50.0 and steps[2].conversion == 100.0
    assert steps[0].median_time is None and steps[2].median_time is not None
    assert funnel_drift() == []
    # A planted drift: the course moment lost.
    db.session.execute(RecruitmentInvitee.__table__.update().values(first_course_at=None))
    [finding] = funnel_drift()
    assert "«First course passed»" in str(finding) and "counts 0" in str(finding) and "give 1" in str(finding)
    [result] = [r for r in run_checks([c for c in checks() if c.run is funnel_drift])]
    assert not result.clean


def test_a_company_that_joined_before_its_invitation_stays_out_of_the_funnel(db, make, manager):
    inn = h.inn()
    campaign = h.campaign(manager, h.row(inn))
    db.session.commit()
    company = make.company(inn=inn, status=PENDING)
    make.user(company=company)
    invitee = db.session.scalar(select(RecruitmentInvitee))
    assert invitee.stopped is None  # made by the factory, not by a registration: the check must see it
    assert send_recruitment_mail(utcnow()) == 0
    assert counts(campaign.id)["registered"] == 0 and funnel_drift() == []


def test_the_stuck_list_and_its_export(db, manager, mailbox, client, login):
    inn = h.inn()
    campaign, _group = invited_company(db, manager, mailbox, client, inn)
    login("boss@example.test")
    page = client.get(f"/console/recruitment/{campaign.id}?step=opened")
    assert page.status_code == 200 and "late@example.test" in page.get_data(as_text=True)
    assert "anna@example.test" not in page.get_data(as_text=True)
    export = client.get(f"/console/recruitment/{campaign.id}/stuck.csv?step=opened")
    lines = export.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("ИНН;Компания;Регион;Группа;Контакт;Email;Последний пройденный шаг;Достигнуто")
    assert len(lines) == 2 and "late@example.test" in lines[1] and "Приглашены" in lines[1]
    xlsx = client.get(f"/console/recruitment/{campaign.id}/stuck.xlsx?step=confirmed")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert client.get(f"/console/recruitment/{campaign.id}/stuck.csv?step=nonsense").status_code == 404


@pytest.mark.parametrize("locale, words", [("ru", ["Приглашены", "Открыли ссылку", "Первая продажа одобрена"]),
                                           ("en", ["Invited", "Opened the link", "First sale approved"])])
def test_the_campaign_pages_in_both_languages(app, make, client, login, locale, words):
    with app.app_context():  # not the `db` fixture: the requests must have contexts (and languages) of their own
        campaign = h.campaign(make.user(role=MANAGER, email="boss@example.test"), h.row(), name="Осень")
        db.session.commit()
        campaign_id = campaign.id
    login("boss@example.test")
    client.post(f"/language/{locale}")
    for path in ("/console/recruitment", f"/console/recruitment/{campaign_id}", "/console/recruitment/new"):
        page = client.get(path)
        assert page.status_code == 200, path
    text = client.get(f"/console/recruitment/{campaign_id}").get_data(as_text=True)
    assert all(w in text for w in words)


def test_every_step_has_a_label(db):
    assert set(services.STEP_LABELS) == set(STEPS)


def test_the_managers_home_page_shows_the_running_campaigns(app, make, client, login):
    with app.app_context():
        manager = make.user(role=MANAGER, email="boss@example.test")
        campaign = h.campaign(manager, h.row(), h.row())
        db.session.commit()
        campaign_id = campaign.id
        send_recruitment_mail(utcnow())  # outside a request: the links point at PORTAL_URL
    login("boss@example.test")
    page = client.get("/home").get_data(as_text=True)
    assert 'data-testid="recruitment-invited">2 / 2<' in page
    with app.app_context():
        services.set_paused(db.session.get(RecruitmentCampaign, campaign_id), True)
        db.session.commit()
    assert 'data-testid="recruitment-card"' not in client.get("/home").get_data(as_text=True)


def test_a_password_reset_link_confirms_the_address_for_the_funnel_too(db, manager, mailbox, client):
    campaign, _group = invited_company(db, manager, mailbox, client, h.inn())
    anna = db.session.scalar(select(User).where(User.email == "anna@example.test"))
    accounts.reset_password(accounts.password_reset_token(anna), "neva2026xyz")
    db.session.commit()
    assert counts(campaign.id)["confirmed"] == 1 and funnel_drift() == []


def test_a_step_never_counts_more_companies_than_the_one_before(db, manager):
    """A company that passed a course before any sale of theirs was approved counts under "first course" only once
    a sale is approved too: the funnel's conversions stay at most 100%."""
    campaign = RecruitmentCampaign(name="Пробная", created_by_id=manager.id)
    db.session.add(campaign)
    db.session.flush()
    now = utcnow()
    reached = {step: now for step in STEPS}
    db.session.add_all([
        RecruitmentInvitee(campaign_id=campaign.id, row_number=2, inn="7707083893", company_name="Все шаги",
                           contact_name="А", email="a@example.test", **{f"{s}_at": t for s, t in reached.items()}),
        RecruitmentInvitee(campaign_id=campaign.id, row_number=3, inn="7736207543", company_name="Курс без продажи",
                           contact_name="Б", email="b@example.test",
                           **{f"{s}_at": t for s, t in reached.items() if s != "first_sale"}),
    ])
    db.session.flush()
    steps = counts(campaign.id)
    assert steps["approved"] == 2 and steps["first_sale"] == 1 and steps["first_course"] == 1
    assert all(s.conversion is None or s.conversion <= 100 for s in services.funnel(campaign.id)[1])
