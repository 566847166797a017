"""The example clients partners copy: they read the partial batch answer (207) and report each refused item."""

import importlib.util
import io
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal.claims.models import Claim
from portal.core.time import today
from portal.extensions import db
from tests.api.test_leads import channel_id  # noqa: F401 - the fixture

EXAMPLES = Path(__file__).resolve().parents[2] / "portal" / "api" / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def through_the_app(client, monkeypatch):
    """urllib as the examples use it, answered by the app."""

    class Answer(io.BytesIO):
        def __init__(self, response):
            super().__init__(response.get_data())
            self.status, self.headers = response.status_code, response.headers

    def urlopen(request, timeout=None):
        url = urlsplit(request.full_url)
        response = client.open(url.path + (f"?{url.query}" if url.query else ""), method=request.get_method(),
                               data=request.data, headers=dict(request.header_items()))
        if response.status_code >= 400:
            raise urllib.error.HTTPError(request.full_url, response.status_code, "error", response.headers,
                                         io.BytesIO(response.get_data()))
        return Answer(response)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)


def test_post_sales_keeps_the_good_invoices_and_names_the_bad_one(app, company_token, through_the_app, tmp_path,
                                                                 monkeypatch, capsys):
    day = (today() - timedelta(days=2)).strftime("%d.%m.%Y")
    csv = tmp_path / "sales.csv"
    csv.write_text("Номер;Дата;Продавец;Контрагент;ИНН;Артикул;Количество;Цена\n"
                   f"Р-1;{day};seller@a.test;ООО «Заказчик»;;SPL-09;2;49 000,00\n"
                   f"Р-2;{day};seller@a.test;ООО «Заказчик»;;NOPE;1;100\n"
                   f"Р-3;{day};seller@a.test;ООО «Заказчик»;;PIPE;10;1 000,00\n", encoding="utf-8")
    post_sales = load("post_sales")
    monkeypatch.setattr(sys, "argv", ["post_sales.py", str(csv), "--key", company_token])
    assert post_sales.main() == 1  # one invoice was refused
    out = capsys.readouterr().out
    assert "created 2, already there 0, refused 1" in out and "Р-2" in out and "NOPE" in out
    assert post_sales.main() == 1  # a resend gets the first answer back and makes nothing twice
    assert "this batch was sent before" in capsys.readouterr().out
    with app.app_context():
        assert db.session.scalar(select(func.count(Claim.id))) == 2


def test_post_leads_sends_a_batch_and_reports_the_refused_row(app, company_token, channel_id, through_the_app,  # noqa: F811
                                                              tmp_path, monkeypatch, capsys):
    from portal.core.inn import make_inn
    from portal.leads.models import Lead

    csv = tmp_path / "deals.csv"
    csv.write_text("ID;Менеджер;Клиент;ИНН;Регион;Контакт;Телефон;E-mail;Потребность;Сумма;Канал\n"
                   f"CRM-1;seller@a.test;ООО «Север»;{make_inn('770712345')};Москва;Пётр;+7 916 123-45-67;"
                   "p@north.ru;Сплит-системы;1 500 000,00;Канал API\n"
                   f"CRM-2;stranger@x.test;ООО «Юг»;{make_inn('770712346')};Сочи;Анна;+7 916 765-43-21;"
                   "a@south.ru;Кондиционеры;900 000;Канал API\n", encoding="utf-8")
    post_leads = load("post_leads")
    monkeypatch.setattr(sys, "argv", ["post_leads.py", str(csv), "--key", company_token])
    assert post_leads.main() == 1
    out = capsys.readouterr().out
    assert "CRM-1: lead #" in out and "CRM-2:" in out and "participant_email" in out
    with app.app_context():
        assert db.session.scalar(select(func.count(Lead.id))) == 1
