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
    assert "1 из 3" in page and "уже в группе" in page and "неверный ИНН" in page
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
