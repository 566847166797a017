"""Group pages: who may open them, the manager's flows, the pickers' searches, and the group filters."""

import io

import pytest
from sqlalchemy import select

from portal.auth.models import MANAGER, PARTNER_ADMIN
from portal.extensions import db
from portal.partners.models import GroupMembership, PartnerGroup
from portal.rules.models import EarningRule

MANAGER_PAGES = ["/console/groups", "/console/groups/new", "/console/search/companies?q=a",
                 "/console/search/products?q=a", "/console/people/export.csv", "/console/companies/export.xlsx"]


@pytest.mark.parametrize("role", ["participant", PARTNER_ADMIN])
@pytest.mark.parametrize("path", MANAGER_PAGES)
def test_partner_staff_cannot_open_group_pages(client, login, make, role, path):
    make.user(role=role, email="someone@example.test")
    login("someone@example.test")
    assert client.get(path).status_code == 403


@pytest.fixture
def manager(make, login):
    make.user(role=MANAGER, email="manager@example.test")
    return login("manager@example.test")


def _group(client, name="Дилеры Москвы"):
    response = client.post("/console/groups/new", data={"name": name, "description": "Москва"})
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_manager_creates_a_group_and_adds_companies_three_ways(client, manager, make):
    by_inn = make.company(name="ООО «Климат»", region="Казань")
    region = [make.company(region="Москва"), make.company(region="Москва")]
    in_file = make.company(name="ООО «Из файла»", region="Тверь")
    group_id = _group(client)
    assert "Дилеры Москвы" in client.get("/console/groups").get_data(as_text=True)
    # one by one: without the script the picker is a text box taking an INN
    client.post(f"/console/groups/{group_id}/members", data={"company": by_inn.inn})
    client.post(f"/console/groups/{group_id}/region", data={"region": "Москва"})
    # from a file: a report first, nothing written until confirmed
    data = {"file": (io.BytesIO(f"ИНН\n{in_file.inn}\n{by_inn.inn}\n12345\n".encode()), "inns.csv")}
    report = client.post(f"/console/groups/{group_id}/import", data=data, content_type="multipart/form-data")
    page = report.get_data(as_text=True)
    assert "уже в группе" in page and "неверный ИНН" in page and 'name="token"' not in page  # all or nothing
    data = {"file": (io.BytesIO(f"ИНН\n{in_file.inn}\n{by_inn.inn}\n".encode()), "inns.csv")}
    report = client.post(f"/console/groups/{group_id}/import", data=data, content_type="multipart/form-data")
    page = report.get_data(as_text=True)
    assert "1 из 2" in page
    with client.application.app_context():
        assert db.session.scalar(select(GroupMembership).where(GroupMembership.company_id == in_file.id)) is None
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    client.post(f"/console/groups/{group_id}/import/confirm", data={"token": token})
    detail = client.get(f"/console/groups/{group_id}").get_data(as_text=True)
    for company in (by_inn, *region, in_file):
        assert company.name in detail
    # remove one: it leaves the members but stays in the history
    client.post(f"/console/groups/{group_id}/members/{by_inn.id}/remove", follow_redirects=True)
    members = client.get(f"/console/groups/{group_id}").get_data(as_text=True).split('data-testid="members"')[1]
    assert "ООО «Климат»" not in members
    assert "ООО «Климат»" in client.get(f"/console/groups/{group_id}?view=history").get_data(as_text=True)
    company_page = client.get(f"/console/companies/{in_file.id}").get_data(as_text=True)
    assert "Дилеры Москвы" in company_page
    # the template is the group's INNs: re-imported, it changes nothing
    for fmt in ("csv", "xlsx"):
        template = client.get(f"/console/groups/{group_id}/import/template.{fmt}")
        data = {"file": (io.BytesIO(template.get_data()), f"inns.{fmt}")}
        page = client.post(f"/console/groups/{group_id}/import", data=data,
                           content_type="multipart/form-data").get_data(as_text=True)
        assert "0 из 3" in page and "неверный" not in page, fmt


def test_bad_inputs_get_messages_not_errors(client, manager, make):
    group_id = _group(client)
    too_long = client.post(f"/console/groups/{group_id}/members", data={"company": "x" * 10_000},
                           follow_redirects=True).get_data(as_text=True)
    assert "alert-danger" in too_long
    unknown = client.post(f"/console/groups/{group_id}/members", data={"company": "Нет такой"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Компании с таким ИНН или названием в программе нет" in unknown
    assert client.post(f"/console/groups/{group_id}/import/confirm", data={"token": "../../etc/passwd"},
                       follow_redirects=True).status_code == 200
    for path in ["/console/groups/99999999999999999999999999",
                 f"/console/groups/{group_id}?page=1e309&q=" + "я" * 10_000,
                 "/console/people?group=1e309&company=" + "9" * 40, "/console/companies?group=NaN",
                 "/console/search/companies?q=" + "%" * 5000]:
        assert client.get(path).status_code in (200, 404), path
    assert client.post("/console/groups/new", data={"name": ""}).status_code == 200
    same = client.post("/console/groups/new", data={"name": "дилеры москвы"})
    assert "уже есть" in same.get_data(as_text=True)


def test_people_and_companies_filter_and_export_by_group(client, manager, make):
    inside, outside = make.company(name="ООО «Внутри»"), make.company(name="ООО «Снаружи»")
    make.user(full_name="Иванова Член", company=inside)
    make.user(full_name="Петров Чужой", company=outside)
    group_id = _group(client)
    client.post(f"/console/groups/{group_id}/members", data={"company": inside.inn})
    people = client.get(f"/console/people?group={group_id}").get_data(as_text=True)
    assert "Иванова Член" in people and "Петров Чужой" not in people
    companies = client.get(f"/console/companies?group={group_id}").get_data(as_text=True)
    assert "ООО «Внутри»" in companies and "ООО «Снаружи»" not in companies
    export = client.get(f"/console/people/export.csv?group={group_id}").get_data(as_text=True)
    assert "Иванова Член" in export and "Петров Чужой" not in export
    export = client.get(f"/console/companies/export.csv?group={group_id}").get_data(as_text=True)
    assert "ООО «Внутри»" in export and "Дилеры Москвы" in export and "Снаружи" not in export
    xlsx = client.get(f"/console/companies/export.xlsx?group={group_id}")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_picker_searches_answer_codes_and_labels(client, manager, make):
    company = make.company(name="ООО «Северный ветер»")
    found = client.get("/console/search/companies?q=северный").get_json()
    assert found == [{"code": company.inn, "label": f"ООО «Северный ветер» · {company.inn} · Москва"}]
    assert client.get(f"/console/search/companies?q={company.inn[:5]}").get_json()[0]["code"] == company.inn


def test_rule_form_takes_codes_from_the_pickers_and_a_group_scope(client, manager, make):
    from tests.claims import factories as f

    company = make.company(name="ООО «Климат»")
    with client.application.app_context():
        f.product()
        db.session.commit()
    group_id = _group(client, "Интеграторы Gold")
    form = client.get("/console/rules/new").get_data(as_text=True)
    assert "picker.js" in form and 'data-picker-url="/console/search/products"' in form
    data = {"name": "Gold", "kind": "per_unit", "value": "100", "priority": "100", "cap_period": "month",
            "product_ids": "SPL-09\nNOPE-1", "company_ids": company.inn, "group_ids": str(group_id), "active": "y",
            "audience": ""}
    refused = client.post("/console/rules/new", data=data)
    assert refused.status_code == 200 and "NOPE-1" in refused.get_data(as_text=True)
    data["product_ids"] = "SPL-09"
    saved = client.post("/console/rules/new", data=data)
    assert saved.status_code == 302
    with client.application.app_context():
        rule = db.session.scalar(select(EarningRule))
        group = db.session.get(PartnerGroup, group_id)
        assert rule.company_ids == [company.id] and rule.group_ids == [group.id] and len(rule.product_ids) == 1
    detail = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Интеграторы Gold" in detail and "ООО «Климат»" in detail
    edit = client.get(saved.headers["Location"] + "/edit").get_data(as_text=True)
    assert "SPL-09" in edit and company.inn in edit


@pytest.fixture
def contest_on_group(app, make):
    """A running contest with one league per group, on the group «Дилеры Москвы» (empty yet)."""
    from datetime import timedelta

    from portal.auth.models import User
    from portal.contests.models import BY_GROUP
    from portal.core.time import utcnow
    from portal.program.services import get_settings
    from tests.contests import helpers as h

    boss = make.user(role=MANAGER, email="boss@example.test")
    company = make.company(name="ООО «Север»")
    seller = make.user(company=company, full_name="Продавец Север")
    with app.test_request_context():
        db.session.get(type(company), company.id).created_at = utcnow() - timedelta(days=300)
        h.catalogue()
        get_settings().first_sale_bonus = 0
        manager = db.session.get(User, boss.id)
        group = h.group("Дилеры Москвы")
        contest = h.contest(manager, title="Кубок декабря", league_mode=BY_GROUP, group_ids=[group.id])
        h.sale(db.session.get(User, seller.id), manager, quantity=40, price=4_975_000, days_ago=6)  # 1 990 000 RUB
        db.session.commit()
        return {"group": group.id, "contest": contest.id, "company": company}


def test_group_page_names_the_running_contests_and_asks_before_a_change(client, manager, contest_on_group):
    page = client.get(f"/console/groups/{contest_on_group['group']}").get_data(as_text=True)
    assert 'data-testid="group-rule"' in page and "на дату счёта" in page
    warning = page.split('data-testid="group-contests"')[1].split("</div>")[0]
    assert "Кубок декабря" in warning
    add_form = page.split(f'action="/console/groups/{contest_on_group["group"]}/members"')[1].split(">")[0]
    assert "data-confirm=" in add_form and "Кубок декабря" in add_form


def test_a_company_dated_back_into_the_group_brings_its_sale_to_the_league(app, client, manager, contest_on_group):
    from datetime import timedelta

    from portal.contests import boards
    from portal.contests.models import Contest
    from portal.core.time import today

    with app.test_request_context():
        since = (today() - timedelta(days=8)).isoformat()
    page = client.post(f"/console/groups/{contest_on_group['group']}/members",
                       data={"company": contest_on_group["company"].inn, "since": since},
                       follow_redirects=True).get_data(as_text=True)
    assert "добавлена в группу" in page or "добавлен" in page
    with app.test_request_context():
        contest = db.session.get(Contest, contest_on_group["contest"])
        top = boards.top(contest.id, contest.leagues[0].id)
        assert [(row.full_name, row.value) for row in top] == [("Продавец Север", 199_000_000)]


@pytest.mark.parametrize(("since", "message"), [
    ("2999-01-01", "не может начинаться в будущем"),
    ("2001-01-01", "не больше чем на год"),
    ("31.02.2025", "Введите дату в виде ДД.ММ.ГГГГ"),
])
def test_bad_member_since_gets_a_translated_message(client, manager, contest_on_group, since, message):
    response = client.post(f"/console/groups/{contest_on_group['group']}/members",
                           data={"company": contest_on_group["company"].inn, "since": since}, follow_redirects=True)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
