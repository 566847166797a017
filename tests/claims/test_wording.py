"""One Russian word for an approved sale: the claim status is «Одобрена», so every page, mail and message that speaks
of approved sales says «одобренная», never «подтверждённая» (which the portal keeps for confirmed e-mail addresses)."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

from portal.auth.models import MANAGER
from portal.core.time import today
from portal.extensions import db
from portal.plans import services as plans
from portal.plans.models import MONTH, UNITS
from portal.plans.periods import period_of

CATALOGUE = Path(__file__).resolve().parents[2] / "translations" / "ru" / "LC_MESSAGES" / "messages.po"


def _russian():
    with CATALOGUE.open("rb") as fh:
        return [m for m in read_po(fh) if m.id and m.string]


def test_the_approved_status_is_odobrena():
    status = [m for m in _russian() if m.id == "Approved" and not m.context]
    assert [m.string for m in status] == ["Одобрена"]


def test_no_message_calls_an_approved_sale_confirmed():
    confirmed = [m.id for m in _russian() if re.search(r"\bapprov", str(m.id), re.IGNORECASE)
                 and re.search(r"(?<![Нн]е)подтвер", str(m.string), re.IGNORECASE)]
    assert confirmed == []  # an approved order is «одобрен» too (its status), as in «Заказ уже одобрен»


def test_the_company_page_says_odobrennye_prodazhi(app, client, login, make):
    company = make.company(name="ООО «Ромашка»")
    boss = make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        plans.set_company_plan(db.session.merge(company), UNITS, period_of(MONTH, today()), 40, db.session.merge(boss))
        db.session.commit()
    login("manager@example.test")
    page = client.get(f"/console/companies/{company.id}").get_data(as_text=True)
    assert "её одобренные продажи" in page and "подтверждённые" not in page
