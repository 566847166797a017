import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.auth.models import MANAGER, PARTNER_ADMIN
from portal.claims.models import APPROVED, DRAFT, SUBMITTED, Claim
from portal.core.time import today
from portal.extensions import db
from portal.ledger import services as ledger
from portal.program.services import get_settings
from tests.claims import factories as f

PDF = b"%PDF-1.4\nfake invoice"


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)


@pytest.fixture
def catalogue(app):
    with app.app_context():
        f.product()
        f.product(sku="PIPE", name="Труба медная", category="Монтаж", price=100_000, cost=70_000)
        f.per_unit_rule(100)
        get_settings().first_sale_bonus = 0
        db.session.commit()


def claim_form(**overrides):
    data = {
        "invoice_number": "СЧ-501", "invoice_date": (today() - timedelta(days=2)).isoformat(),
        "customer_name": "ООО «Заказчик»", "customer_inn": "",
        "lines-0-product": "SPL-09 — Сплит-система 09", "lines-0-quantity": "2", "lines-0-price": "49 000,00",
        "lines-1-product": "PIPE", "lines-1-quantity": "10", "lines-1-price": "1000",
        "lines-2-product": "", "lines-2-quantity": "", "lines-2-price": "",
        "scan": (io.BytesIO(PDF), "invoice.pdf"), "action": "submit",
    }
    data.update(overrides)
    return data


def test_participant_submits_a_sale_and_sees_expected_points(app, client, login, make, catalogue):
    make.user(email="seller@example.test")
    login("seller@example.test")
    response = client.post("/claims/new", data=claim_form(), content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Продажа отправлена на проверку." in page
    assert 'data-testid="expected-points">1\xa0200<' in page or 'data-testid="expected-points">1 200<' in page
    with app.app_context():
        claim = db.session.scalar(select(Claim))
        assert (claim.status, claim.total_kopecks, len(claim.lines)) == (SUBMITTED, 10_800_000, 2)


def test_prices_typed_the_english_way_read_as_meant(app, client, login, make, catalogue):
    """An English-speaking seller types 45,000 for forty-five thousand roubles, not forty-five."""
    make.user(email="seller@example.test", locale="en")
    login("seller@example.test")
    response = client.post("/claims/new", data=claim_form(**{"lines-0-price": "45,000", "lines-1-price": "1,000.50"}),
                           content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        claim = db.session.scalar(select(Claim))
        assert sorted(line.unit_price_kopecks for line in claim.lines) == [100_050, 4_500_000]
    response = client.post("/claims/new", data=claim_form(invoice_number="СЧ-502", **{"lines-0-price": "1.234.56"}),
                           content_type="multipart/form-data")
    assert "for example 12,345.50" in response.get_data(as_text=True)


def test_preview_endpoint_explains_points(client, login, make, catalogue):
    make.user(email="seller@example.test")
    login("seller@example.test")
    form = claim_form()
    form.pop("scan")
    result = client.post("/claims/preview", data=form).get_json()
    assert result == {"total": 1200, "revenue_kopecks": 10_800_000, "awards": [{"rule": "За штуку", "points": 1200}]}


def test_a_fake_scan_is_refused_and_the_typed_sale_is_kept(app, client, login, make, catalogue):
    make.user(email="seller@example.test")
    login("seller@example.test")
    form = claim_form(scan=(io.BytesIO(b"MZ\x90\x00 an exe renamed"), "invoice.pdf"))
    page = client.post("/claims/new", data=form, content_type="multipart/form-data").get_data(as_text=True)
    assert "Скан должен быть файлом PDF, JPEG или PNG." in page
    assert 'value="СЧ-501"' in page and "ООО «Заказчик»" in page
    with app.app_context():
        assert db.session.scalar(select(Claim)) is None


def test_submit_problem_keeps_a_draft(app, client, login, make, catalogue):
    make.user(email="seller@example.test")
    login("seller@example.test")
    old = (today() - timedelta(days=90)).isoformat()
    response = client.post("/claims/new", data=claim_form(invoice_date=old), content_type="multipart/form-data",
                           follow_redirects=True)
    assert "не отправлено" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Claim.status)) == DRAFT


def test_nobody_reaches_another_companys_claim_or_scan(app, client, login, make, catalogue):
    owner = make.user(email="owner@example.test")
    make.user(email="stranger@example.test")
    make.user(role=PARTNER_ADMIN, email="otherhead@example.test")
    make.user(role=PARTNER_ADMIN, email="head@example.test", company=None)
    with app.app_context():
        from portal.auth.models import User

        claim = f.submitted(db.session.get(User, owner.id))
        claim.scan_path = "x.pdf"
        db.session.commit()
        claim_id = claim.id
    for email in ("stranger@example.test", "otherhead@example.test"):
        login(email)
        assert client.get(f"/claims/{claim_id}").status_code == 404
        assert client.get(f"/claims/{claim_id}/scan").status_code == 404
        assert client.post(f"/claims/{claim_id}/submit").status_code == 404
    login("stranger@example.test")
    assert client.get("/console/claims").status_code == 403
    assert client.post(f"/console/claims/{claim_id}/approve").status_code == 403


def test_partner_admin_sees_the_teams_claims_but_cannot_approve(app, client, login, make, catalogue):
    company = make.company()
    seller = make.user(company=company, email="seller@example.test")
    make.user(role=PARTNER_ADMIN, company=company, email="head@example.test")
    with app.app_context():
        from portal.auth.models import User

        claim_id = f.submitted(db.session.get(User, seller.id)).id
        db.session.commit()
    login("head@example.test")
    assert client.get(f"/claims/{claim_id}").status_code == 200
    assert "СЧ-1" in client.get("/team/claims").get_data(as_text=True)
    assert client.post(f"/console/claims/{claim_id}/approve").status_code == 403


def test_manager_bulk_approves_and_participants_are_emailed(app, client, login, make, catalogue, mailbox):
    seller = make.user(email="seller@example.test")
    make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        from portal.auth.models import User

        person = db.session.get(User, seller.id)
        ids = [f.submitted(person, number=f"N-{n}").id for n in range(3)]
        db.session.commit()
    login("manager@example.test")
    page = client.get("/console/claims").get_data(as_text=True)
    assert all(f"#{i}" in page for i in ids)
    response = client.post("/console/claims/bulk", data={"claim_ids": ids[:2], "action": "approve",
                                                          "reason_code": "other", "note": ""},
                           follow_redirects=True)
    assert "2 заявки обработаны." in response.get_data(as_text=True)
    with app.app_context():
        assert ledger.balance_of(seller.id) == 400
        statuses = dict(db.session.execute(select(Claim.id, Claim.status)).all())
        assert [statuses[i] for i in ids] == [APPROVED, APPROVED, SUBMITTED]
    assert len(mailbox.to("seller@example.test")) == 2
    assert "Одобрена" in mailbox.last_to("seller@example.test")["Subject"]


def test_manager_rejects_with_a_standard_reason(app, client, login, make, catalogue, mailbox):
    seller = make.user(email="seller@example.test")
    make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        from portal.auth.models import User

        claim_id = f.submitted(db.session.get(User, seller.id)).id
        db.session.commit()
    login("manager@example.test")
    client.post(f"/console/claims/{claim_id}/reject", data={"reason_code": "mismatch", "note": "Проверьте цены"})
    body = mailbox.body(mailbox.last_to("seller@example.test"))
    assert "Строки не совпадают со счётом. Проверьте цены" in body


def test_after_a_decision_the_reviewer_goes_on_to_the_sale_waiting_longest(app, client, login, make, catalogue):
    seller = make.user(email="seller@example.test")
    make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        from portal.auth.models import User

        person = db.session.get(User, seller.id)
        first, second = (f.submitted(person, number=n).id for n in ("СЧ-1", "СЧ-2"))
        db.session.commit()
    login("manager@example.test")
    waiting = client.get(f"/claims/{first}").get_data(as_text=True)
    assert 'data-testid="next-to-review"' not in waiting  # decide this one first
    page = client.post(f"/console/claims/{first}/approve", follow_redirects=True).get_data(as_text=True)
    assert f"Продажа № {first}: Одобрена." in page
    assert f'href="/claims/{second}" data-testid="next-to-review"' in page
    page = client.post(f"/console/claims/{second}/approve", follow_redirects=True).get_data(as_text=True)
    assert 'data-testid="next-to-review"' not in page  # the queue is empty


def test_review_queue_filters_by_a_company_picked_by_inn_or_typed_by_name(app, client, login, make, catalogue):
    make.user(role=MANAGER, email="boss@example.test")
    north, south = make.company(name="ООО «Север»"), make.company(name="ООО «Юг»")
    with app.app_context():
        for company, number in ((north, "СЧ-СЕВЕР"), (south, "СЧ-ЮГ")):
            f.submitted(make.user(company=company), number=number)
        db.session.commit()
    login("boss@example.test")
    by_inn = client.get("/console/claims", query_string={"company": north.inn}).get_data(as_text=True)
    assert "СЧ-СЕВЕР" in by_inn and "СЧ-ЮГ" not in by_inn and f'value="{north.inn}"' in by_inn
    by_name = client.get("/console/claims", query_string={"company": "ооо «юг»"}).get_data(as_text=True)
    assert "СЧ-ЮГ" in by_name and "СЧ-СЕВЕР" not in by_name
    unknown = client.get("/console/claims", query_string={"company": "Нет такой"}).get_data(as_text=True)
    assert "Нет такой" in unknown and "СЧ-ЮГ" not in unknown and "СЧ-СЕВЕР" not in unknown
    assert "Компании с таким ИНН или названием в программе нет." in unknown
    everyone = client.get("/console/claims").get_data(as_text=True)
    assert "СЧ-ЮГ" in everyone and "СЧ-СЕВЕР" in everyone
    assert everyone.count("<option") < 20  # no list of every company in the page


def test_claims_of_a_company_awaiting_approval_are_marked_in_the_queue_and_skipped_by_bulk_approve(
        app, client, login, make, catalogue):
    from portal.auth.models import User
    from portal.partners.models import PENDING

    waiting_company = make.company(status=PENDING, name="ООО «Новичок»")
    newcomer = make.user(company=waiting_company)
    regular = make.user()
    make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        waiting = [f.submitted(db.session.get(User, newcomer.id), number=f"W-{n}").id for n in range(2)]
        ordinary = f.submitted(db.session.get(User, regular.id), number="R-1").id
        db.session.commit()
    login("manager@example.test")
    page = client.get("/console/claims").get_data(as_text=True)
    assert page.count('data-testid="company-not-admitted"') == 2
    assert "компания ожидает одобрения" in page

    response = client.post("/console/claims/bulk", data={"claim_ids": [*waiting, ordinary], "action": "approve",
                                                          "reason_code": "other", "note": ""},
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "1 заявка обработана." in text
    assert "2 заявки пропущены: их компании ещё не одобрены" in text
    with app.app_context():
        statuses = dict(db.session.execute(select(Claim.id, Claim.status)).all())
        assert [statuses[i] for i in waiting] == [SUBMITTED, SUBMITTED]
        assert statuses[ordinary] == APPROVED
        assert ledger.balance_of(newcomer.id) == 0

    # One at a time, from the claim's page: a clear refusal, and the page says why instead of offering Approve.
    detail = client.get(f"/claims/{waiting[0]}").get_data(as_text=True)
    assert 'data-testid="approve"' not in detail
    assert "ожидает одобрения" in detail
    response = client.post(f"/console/claims/{waiting[0]}/approve", follow_redirects=True)
    assert "ожидает одобрения" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Claim, waiting[0]).status == SUBMITTED


def test_the_api_refuses_to_approve_a_claim_of_a_company_awaiting_approval(app, client, make, catalogue):
    from portal.api import services as keys
    from portal.api.models import PROGRAM_SCOPES
    from portal.auth.models import User
    from portal.partners.models import PENDING

    seller = make.user(company=make.company(status=PENDING))
    manager = make.user(role=MANAGER)
    with app.app_context():
        claim_id = f.submitted(db.session.get(User, seller.id)).id
        token = keys.create_key(db.session.get(User, manager.id), "ERP", list(PROGRAM_SCOPES)).token
        db.session.commit()
    response = client.post(f"/api/v1/claims/{claim_id}/approve", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert "ожидает одобрения" in response.get_json()["detail"]
    with app.app_context():
        assert db.session.get(Claim, claim_id).status == SUBMITTED
        assert ledger.balance_of(seller.id) == 0


def test_the_seller_of_a_company_awaiting_approval_is_told_why_the_sale_waits(app, client, login, make, catalogue):
    from portal.auth.models import User
    from portal.partners.models import PENDING

    seller = make.user(company=make.company(status=PENDING), email="newcomer@example.test")
    with app.app_context():
        claim_id = f.submitted(db.session.get(User, seller.id)).id
        db.session.commit()
    login("newcomer@example.test")
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert 'data-testid="company-not-admitted"' in page and "ожидает одобрения" in page


def test_my_sales_are_cached_per_person_and_a_review_or_a_new_sale_shows_on_the_next_request(
        app, client, login, make, catalogue):
    """The seller's own list is rendered once per change of their rows (portal/core/person_cache.py): a reviewer's
    decision, made in another request, and the seller's next sale show at once."""
    from portal.auth.models import User
    from portal.claims import services as claims

    seller = make.user(email="seller@example.test")
    manager = make.user(role=MANAGER, email="manager@example.test")
    with app.app_context():
        claim_id = f.submitted(db.session.get(User, seller.id), number="N-1").id
        db.session.commit()
    login("seller@example.test")
    assert 'data-testid="claims"' in client.get("/claims").get_data(as_text=True)
    statements = []
    with app.app_context():
        from sqlalchemy import event

        def count(*args):
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            cached = client.get("/claims").get_data(as_text=True)  # from the cache: no read of the claims
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert "N-1" in cached and not [sql for sql in statements if "FROM claims" in sql]
    with app.app_context():  # the manager approves it in another request
        claims.approve_claim(db.session.get(Claim, claim_id), db.session.get(User, manager.id))
        db.session.commit()
    assert "Одобрена" in client.get("/claims").get_data(as_text=True)
    with app.app_context():
        f.submitted(db.session.get(User, seller.id), number="N-2")
        db.session.commit()
    page = client.get("/claims").get_data(as_text=True)
    assert "N-2" in page and "N-1" in page
    assert "N-2" not in client.get("/claims?q=N-1").get_data(as_text=True)  # the query string is part of the key
