"""Every change of a group's membership is announced as one domain event (group_membership_changed), with the
companies and the earliest day whose counting it changes; contests and KPI react to it, the groups package
imports neither."""

import ast
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from portal.auth.models import MANAGER
from portal.core import events
from portal.core.errors import DomainError
from portal.core.time import frozen_time
from portal.groups import services
from portal.products.services import read_rows

NOW = datetime(2026, 6, 20, 12)
TODAY = NOW.date()


@contextmanager
def announced():
    """The group_membership_changed events sent inside the block: [(group id, company_id, company_ids, since)]."""
    seen = []

    def receive(group, company_id=None, company_ids=(), since=None, **extra):
        seen.append((group.id, company_id, tuple(sorted(company_ids)), since))

    events.group_membership_changed.connect(receive)
    try:
        yield seen
    finally:
        events.group_membership_changed.disconnect(receive)


@pytest.fixture
def setting(db, make):
    with frozen_time(NOW):
        manager = make.user(role=MANAGER)
        company = make.company(region="Тверь")
        company.created_at = NOW - timedelta(days=300)
        group = services.save_group("Тверские", "", manager)
        yield {"manager": manager, "company": company, "group": group}


def test_adding_a_company_today_announces_today(setting):
    manager, company, group = setting["manager"], setting["company"], setting["group"]
    with announced() as seen:
        services.add_company(group, company, manager)
    assert seen == [(group.id, company.id, (company.id,), TODAY)]


def test_a_dated_back_membership_announces_its_first_day(setting):
    manager, company, group = setting["manager"], setting["company"], setting["group"]
    with announced() as seen:
        services.add_company(group, company, manager, since=date(2026, 6, 1))
    assert seen == [(group.id, company.id, (company.id,), date(2026, 6, 1))]


def test_moving_the_start_back_announces_the_new_first_day(setting):
    manager, company, group = setting["manager"], setting["company"], setting["group"]
    services.add_company(group, company, manager)
    with announced() as seen:
        services.add_company(group, company, manager, since=date(2026, 5, 25))
    assert seen == [(group.id, company.id, (company.id,), date(2026, 5, 25))]


def test_removing_a_company_announces_the_day_it_left(setting):
    manager, company, group = setting["manager"], setting["company"], setting["group"]
    services.add_company(group, company, manager, since=date(2026, 6, 1))
    with announced() as seen:
        services.remove_company(group, company, manager)
    assert seen == [(group.id, company.id, (company.id,), TODAY)]


def test_adding_a_region_announces_its_companies_once(setting, make):
    manager, company, group = setting["manager"], setting["company"], setting["group"]
    with frozen_time(NOW):
        second = make.company(region="Тверь")
    with announced() as seen:
        assert services.add_region(group, "Тверь", manager) == 2
    assert seen == [(group.id, None, tuple(sorted((company.id, second.id))), TODAY)]
    with announced() as seen:  # everyone is in already: nothing changed, nothing announced
        assert services.add_region(group, "Тверь", manager) == 0
    assert seen == []


def test_an_import_announces_the_companies_it_added(setting):
    manager, company, group = setting["manager"], setting["company"], setting["group"]
    rows = services.check_member_import(group, read_rows("inns.csv", f"ИНН\n{company.inn}\n".encode()))
    with announced() as seen:
        assert services.apply_member_import(group, rows, manager) == 1
    assert seen == [(group.id, company.id, (company.id,), TODAY)]


def test_a_refused_change_announces_nothing(setting):
    manager, company, group = setting["manager"], setting["company"], setting["group"]
    with announced() as seen, pytest.raises(DomainError):
        services.remove_company(group, company, manager)
    assert seen == []


def test_the_groups_package_imports_no_contests_module():
    """Contests read groups, not back: the groups package reaches contests only through the domain event."""
    package = Path(services.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
                names += [f"{names[0]}.{alias.name}" for alias in node.names]
            else:
                continue
            offenders += [f"{path.name}: {name}" for name in names if "contests" in name.split(".")]
    assert offenders == []
