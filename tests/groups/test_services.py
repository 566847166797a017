"""Partner groups: dated membership, adding by region, and the import of INNs with its report."""

import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from portal.auth.models import MANAGER
from portal.core.errors import DomainError
from portal.core.inn import make_inn
from portal.core.time import frozen_time
from portal.groups import services
from portal.partners.models import PENDING, REJECTED, GroupMembership
from portal.partners.services import group_company_ids
from portal.products.services import read_rows


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER)


@pytest.fixture
def group(db, manager):
    return services.save_group("Дилеры Москвы", "Москва и область", manager)


def test_group_names_are_unique_ignoring_case_and_spaces(db, manager, group):
    with pytest.raises(DomainError) as error:
        services.save_group("  дилеры   москвы ", "", manager)
    assert error.value.field == "name"
    renamed = services.save_group("Дилеры  Москвы и области", "", manager, group)
    assert renamed.name == "Дилеры Москвы и области"
    with pytest.raises(DomainError):
        services.save_group("   ", "", manager)


def test_membership_is_dated_and_removal_keeps_history(db, make, manager, group):
    company = make.company()
    with frozen_time(datetime(2026, 3, 1, 10)):
        services.add_company(group, company, manager)
    with pytest.raises(DomainError):
        services.add_company(group, company, manager)  # already in
    with frozen_time(datetime(2026, 5, 1, 10)):
        services.remove_company(group, company, manager)
    with frozen_time(datetime(2026, 7, 1, 10)):
        services.add_company(group, company, manager)  # back again: a second row
    rows = db.session.scalars(select(GroupMembership).order_by(GroupMembership.id)).all()
    assert [(r.added_at.month, r.removed_at.month if r.removed_at else None) for r in rows] == [(3, 5), (7, None)]
    assert group_company_ids(group.id) == [company.id]
    assert group_company_ids(group.id, at=datetime(2026, 6, 1)) == []
    assert group_company_ids(group.id, at=datetime(2026, 4, 1)) == [company.id]
    assert services.company_group_ids(company.id, on=date(2026, 4, 15)) == {group.id}
    assert services.company_group_ids(company.id, on=date(2026, 6, 15)) == frozenset()
    assert services.company_group_ids(company.id, on=date(2026, 5, 1)) == frozenset()  # removed that morning
    assert services.company_group_ids(company.id, on=date(2026, 3, 1)) == {group.id}  # added that morning
    with pytest.raises(DomainError):
        services.remove_company(services.save_group("Другая", "", manager), company, manager)


def test_a_company_may_be_in_several_groups(db, make, manager, group):
    company = make.company()
    gold = services.save_group("Интеграторы Gold", "", manager)
    services.add_company(group, company, manager)
    services.add_company(gold, company, manager)
    assert [g.name for g in services.company_groups(company.id)] == ["Дилеры Москвы", "Интеграторы Gold"]
    assert services.group_names_of_companies([company.id]) == {company.id: ["Дилеры Москвы", "Интеграторы Gold"]}


def test_adding_a_region_takes_its_approved_companies_once(db, make, manager, group):
    moscow = [make.company(region="Москва") for _ in range(3)]
    make.company(region="Москва", status=PENDING)
    make.company(region="Казань")
    services.add_company(group, moscow[0], manager)
    assert services.add_region(group, "Москва", manager) == 2
    assert services.add_region(group, "Москва", manager) == 0
    assert sorted(services.current_company_ids(group.id)) == sorted(c.id for c in moscow)
    with pytest.raises(DomainError):
        services.add_region(group, "Атлантида", manager)


def test_rejected_companies_cannot_join(db, make, manager, group):
    with pytest.raises(DomainError):
        services.add_company(group, make.company(status=REJECTED), manager)


def test_resolve_company_by_inn_or_exact_name(db, make):
    company = make.company(name="ООО «Климат»")
    assert services.resolve_company(company.inn[:4] + " " + company.inn[4:]) == company
    assert services.resolve_company("ооо «климат»") == company
    with pytest.raises(DomainError):
        services.resolve_company("Нет такой")
    with pytest.raises(DomainError):
        services.resolve_company("")


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_reports_every_row_and_writes_nothing_until_applied(db, make, manager, group):
    known = make.company()
    member = make.company()
    rejected = make.company(status=REJECTED)
    services.add_company(group, member, manager)
    unknown = make_inn("990000001")
    content = _xlsx([["ИНН"], [int(known.inn)], [member.inn], ["123"], [unknown], [known.inn], [rejected.inn], [None]])
    rows = services.check_member_import(group, read_rows("members.xlsx", content))
    report = [(r.number, r.valid, r.already, r.errors) for r in rows]
    assert report == [
        (2, True, False, []),
        (3, True, True, []),
        (4, False, False, ["неверный ИНН"]),
        (5, False, False, ["компании с таким ИНН в программе нет"]),
        (6, False, False, ["ИНН повторяет строку выше"]),
        (7, False, False, ["компания не допущена к программе"]),
    ]
    assert services.current_company_ids(group.id) == [member.id]  # checking wrote nothing
    with pytest.raises(DomainError):  # a file with a wrong row adds nobody
        services.apply_member_import(group, rows, manager)
    assert services.current_company_ids(group.id) == [member.id]
    assert services.apply_member_import(group, rows[:2], manager) == 1
    assert sorted(services.current_company_ids(group.id)) == sorted([known.id, member.id])


def test_import_without_a_header_and_an_unreadable_file(db, make, manager, group):
    company = make.company()
    rows = services.check_member_import(group, read_rows("inns.csv", f"{company.inn}\n".encode()))
    assert [r.valid for r in rows] == [True]
    with pytest.raises(DomainError):
        services.check_member_import(group, read_rows("inns.csv", b"name;region\nA;B\n"))
    with pytest.raises(DomainError):
        services.check_member_import(group, read_rows("inns.csv", b""))
    with pytest.raises(DomainError):
        read_rows("inns.xlsx", b"not a workbook")


def test_history_lists_latest_change_first(db, make, manager, group):
    first, second = make.company(), make.company()
    with frozen_time(datetime(2026, 1, 1)):
        services.add_company(group, first, manager)
    with frozen_time(datetime(2026, 2, 1)):
        services.add_company(group, second, manager)
    with frozen_time(datetime(2026, 3, 1)):
        services.remove_company(group, first, manager)
    history = db.session.scalars(services.membership_history(group.id)).all()
    assert [m.company_id for m in history] == [first.id, second.id]
    assert history[0].removed_at == datetime(2026, 3, 1) and history[0].removed_by_id == manager.id
    assert [m.company_id for m in db.session.scalars(services.current_members(group.id))] == [second.id]
    assert timedelta(0) <= history[0].removed_at - history[0].added_at
