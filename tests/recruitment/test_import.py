"""The invitation list: every row reported, nothing written before confirmation, all rows or none."""

import time

import pytest
from sqlalchemy import func, select

from portal.auth.models import MANAGER
from portal.core.errors import DomainError
from portal.extensions import db
from portal.recruitment import importer, services
from portal.recruitment.models import RecruitmentCampaign, RecruitmentInvitee, RecruitmentOptOut
from tests.recruitment import helpers as h


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER)


def invitees() -> int:
    return db.session.scalar(select(func.count()).select_from(RecruitmentInvitee))


def test_every_bad_row_is_reported_in_words_and_the_preview_writes_nothing(english, db, make):
    make.user(email="taken@example.test")
    in_program = make.company().inn
    db.session.add(RecruitmentOptOut(email="gone@example.test"))
    first = h.inn()
    preview = h.preview(
        h.row("1234567890"),  # check digit wrong
        h.row(email="not-an-address"),
        h.row(contact=""),
        h.row(group="Нет такой"),
        h.row(language="de"),
        h.row(first),
        h.row(first, company="ООО «Дубль»"),
        h.row(in_program),
        h.row(email="taken@example.test"),
        h.row(email="gone@example.test"),
        h.row(),
    )
    report = {r.number: [str(e) for e in r.errors] or ([str(r.skipped)] if r.skipped else []) for r in preview.rows}
    assert "the INN 1234567890 is not valid" in report[2][0]
    assert report[3] == ["the e-mail not-an-address is not valid"]
    assert report[4] == ["the contact's name is missing"]
    assert report[5] == ["there is no group Нет такой"]
    assert report[6] == ["the language must be ru or en"]
    assert report[7] == [] and report[8] == ["the same INN as row 7"]
    assert report[9] == ["the company is already in the program"]
    assert report[10] == ["the contact already has an account"]
    assert report[11] == ["the contact unsubscribed from recruitment mail"]
    assert report[12] == []
    assert not preview.ok and len(preview.to_invite) == 2
    assert invitees() == 0 and db.session.scalar(select(func.count()).select_from(RecruitmentCampaign)) == 0


def test_a_file_with_an_error_creates_nothing_and_a_right_one_everything(english, db, manager):
    good = [h.row() for _ in range(3)]
    with pytest.raises(DomainError, match="1 rows have errors"):
        h.campaign(manager, *good, h.row(email="bad"))
    assert invitees() == 0
    campaign = h.campaign(manager, *good, h.row(h.inn(), email="dup@example.test"), name="  Весна  ")
    assert campaign.name == "Весна" and invitees() == 4


def test_a_file_with_only_rows_left_out_creates_nothing(english, db, make, manager):
    with pytest.raises(DomainError, match="no company left to invite"):
        h.campaign(manager, h.row(make.company().inn))


def test_a_file_without_the_columns_says_which_are_missing(english, db):
    preview = importer.check_invitee_rows([["Название", "Телефон"], ["ООО", "1"]])
    assert not preview.ok
    assert [str(e) for e in preview.header_errors][0].startswith("No column INN")


def test_another_campaign_still_inviting_the_company_leaves_it_out(english, db, manager):
    inn = h.inn()
    h.campaign(manager, h.row(inn), name="Первая")
    preview = h.preview(h.row(inn), h.row())
    assert str(preview.rows[0].skipped) == "campaign «Первая» invites this company already"


def test_fifty_thousand_rows_read_and_write_in_seconds(english, db, manager):
    rows = [h.row() for _ in range(50_000)]
    rows[100] = h.row(email="broken@")
    rows[200] = rows[199]
    content = h.csv_file(*rows)
    started = time.perf_counter()
    preview = importer.check_invitee_rows(importer.read_invitee_file("list.csv", content))
    checked = time.perf_counter() - started
    assert len(preview.errors) == 1 and preview.errors[0].number == 102
    assert str(preview.skipped[0].skipped) == "the same INN as row 201"
    with pytest.raises(DomainError):
        services.create_campaign("Большая", preview, manager)
    assert invitees() == 0
    del rows[100]
    started = time.perf_counter()
    services.create_campaign("Большая", importer.check_invitee_rows(
        importer.read_invitee_file("list.csv", h.csv_file(*rows))), manager)
    written = time.perf_counter() - started
    assert invitees() == 49_998
    print(f"50,000 rows: checked in {checked:.1f} s, checked again and written in {written:.1f} s")
    assert checked < 10 and written < 20


def test_the_template_has_the_readers_headings_and_no_company_to_invite_by_mistake(client, login, make):
    make.user(role=MANAGER, email="boss@example.test")
    login("boss@example.test")
    russian = client.get("/console/recruitment/template.csv").get_data(as_text=True).lstrip("\ufeff")
    assert russian.strip().splitlines() == ["ИНН;Компания;Регион;Контакт;Почта;Группа;Язык"]
    client.post("/language/en")
    english = client.get("/console/recruitment/template.csv").get_data(as_text=True).lstrip("\ufeff")
    assert english.strip().splitlines()[0].split(",")[0] == "INN" and len(english.strip().splitlines()) == 1
    assert client.get("/console/recruitment/template.xlsx").status_code == 200
