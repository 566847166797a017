"""KPI pages: the grid refuses bad cells with messages and saves nothing; roles; exports; subscriptions."""

from sqlalchemy import func, select

from portal.auth.models import MANAGER, PARTNER_ADMIN
from portal.extensions import db
from portal.kpi import stages
from portal.kpi.models import KpiSubscription, KpiTarget


def _stages(app):
    with app.app_context():
        created = stages.add_months(2026, 4, 6)
        db.session.commit()
        return [s.id for s in created]


def test_grid_with_bad_cells_saves_nothing_and_says_why(app, client, login, make):
    april, may, _june = _stages(app)
    make.user(role=MANAGER, email="m@example.test")
    login("m@example.test")
    response = client.post("/kpi/plan", data={f"t-registered-{april}": "сто", f"t-registered-{may}": "-5",
                                              "t-active-total": "120", f"t-active-{april}": "10"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Введите число." in page and "План не может быть отрицательным." in page
    assert "Доля не может быть больше 100%." in page
    assert 'aria-invalid="true"' in page and "План: Зарегистрировано сотрудников партнёров, Апрель 2026" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(KpiTarget.id))) == 0
    response = client.post("/kpi/plan", data={f"t-registered-{april}": "150", "t-active-total": "60"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(KpiTarget.id))) == 2


def test_pages_and_exports_for_managers(app, client, login, make):
    _stages(app)
    make.user(role=MANAGER, email="m@example.test")
    login("m@example.test")
    for path in ("/home", "/kpi", "/kpi/plan", "/kpi/stages", "/kpi/budget", "/kpi/plan/revisions", "/kpi/reports",
                 "/kpi/plan/import"):
        assert client.get(path).status_code == 200, path
    assert client.get("/kpi?scope=company&key=99999").status_code == 404
    assert client.get("/kpi?scope=nonsense").status_code == 404
    xlsx = client.get("/kpi/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    csv = client.get("/kpi/export.csv").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("\ufeffKPI;Апрель 2026: план")


def test_partner_admin_sees_only_their_company(app, client, login, make):
    _stages(app)
    company = make.company()
    make.user(role=PARTNER_ADMIN, company=company, email="head@example.test")
    login("head@example.test")
    assert client.get("/kpi/my-company").status_code == 200
    assert client.get("/kpi").status_code == 403
    assert client.get("/kpi/plan").status_code == 403
    export = client.get("/kpi/export.csv?scope=company&key=1")
    assert export.status_code == 200
    assert f"kpi-company-{company.id}" in export.headers["Content-Disposition"]


def test_subscriptions_are_saved(app, client, login, make):
    manager = make.user(role=MANAGER, email="m@example.test")
    login("m@example.test")
    assert client.post("/kpi/reports", data={"weekly": "y", "monthly": "y"}).status_code == 302
    with app.app_context():
        kinds = set(db.session.scalars(select(KpiSubscription.kind).where(KpiSubscription.user_id == manager.id)))
    assert kinds == {"weekly", "monthly"}


def test_totals_say_what_they_compare_and_groups_state_their_rule(app, client, login, make):
    """The total of a share planned as a percentage is compared with it, and the cell says so; a group's page
    says in one sentence which sales and registrations it counts."""
    from portal.groups import services as groups
    from portal.kpi import plan

    _stages(app)
    manager = make.user(role=MANAGER, email="m@example.test")
    with app.app_context():
        plan.set_targets("program", "", {("trained", None): 3000}, db.session.merge(manager))
        group = groups.save_group("Юг", "", db.session.merge(manager))
        db.session.commit()
        group_id = group.id
    login("m@example.test")
    page = client.get("/kpi").get_data(as_text=True)
    assert "Доля всех зарегистрированных на сегодня против плановой доли 30%." in page
    page = client.get(f"/kpi?scope=group&key={group_id}").get_data(as_text=True)
    assert "Группа считает продажу, если компания продавца входила в группу в дату счёта" in page


def test_the_plan_page_picks_whose_plan_from_a_list_not_a_bare_key(app, client, login, make):
    from portal.groups import services as groups

    _stages(app)
    manager = make.user(role=MANAGER, email="m@example.test")
    with app.app_context():
        group_id = groups.save_group("Юг", "", db.session.merge(manager)).id
        db.session.commit()
    login("m@example.test")
    page = client.get("/kpi/plan").get_data(as_text=True)
    picker = page.split('data-testid="scope-pick"')[1].split("</select>")[0]
    assert f'value="group:{group_id}"' in picker and "Юг" in picker
    assert 'name="key"' not in page and ">Ключ<" not in page
    chosen = client.get(f"/kpi/plan?whose=group:{group_id}").get_data(as_text=True)
    assert f'value="group:{group_id}" selected' in chosen
    assert client.get("/kpi/plan?whose=nonsense:1").status_code == 404
