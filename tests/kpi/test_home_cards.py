"""The KPI figures on the home pages (the manager's current stage, the partner admin's scorecard) say what they count:
"actively registering sales" is the people whose first approved sale falls in the stage, not everyone selling."""

import re

import pytest

from portal.auth.models import MANAGER, PARTNER_ADMIN
from portal.core.time import today
from portal.extensions import db
from portal.kpi import stages

ACTIVE = {
    "ru": ("Активно регистрируют продажи",
           "Участники, чья первая одобренная продажа в программе (по дате счёта) приходится на этот этап: каждый "
           "считается один раз, в этапе этой продажи."),
    "en": ("Actively registering sales",
           "People whose first approved sale in the program (by invoice date) falls in this stage: each counts once, "
           "in the stage of that sale."),
}


def _running_stage(app):
    with app.app_context():
        stages.add_months(today().year, today().month, today().month)
        db.session.commit()


def _explanation_after(page: str, label: str) -> str:
    """The text of the explanation that follows the figure's label."""
    after = page.split(label, 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", after.split('data-testid="kpi-note"', 1)[1].split("</", 1)[0]
                                      .split(">", 1)[1]))


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_the_managers_current_stage_explains_actively_registering_sales(app, client, login, make, locale):
    _running_stage(app)
    make.user(role=MANAGER, email="m@example.test", locale=locale)
    login("m@example.test")
    page = client.get("/home").get_data(as_text=True).split('data-testid="dashboard-stage"')[1]
    label, note = ACTIVE[locale]
    assert _explanation_after(page, label).strip() == note


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_the_partner_admins_scorecard_explains_actively_registering_sales(app, client, login, make, locale):
    _running_stage(app)
    make.user(role=PARTNER_ADMIN, company=make.company(), email="head@example.test", locale=locale)
    login("head@example.test")
    page = client.get("/home").get_data(as_text=True).split('data-testid="kpi-card"')[1]
    label, note = ACTIVE[locale]
    assert _explanation_after(page, label).strip() == note
