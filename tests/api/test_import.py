"""The sales import page: 1C files in Russian or English, a row-by-row report, all or nothing."""

import io
import re
from datetime import timedelta

from openpyxl import Workbook
from sqlalchemy import func, select

from portal.auth.models import User
from portal.claims.models import DRAFT, Claim
from portal.core.time import today
from portal.extensions import db

DAY = (today() - timedelta(days=3)).strftime("%d.%m.%Y")
OLD = (today() - timedelta(days=400)).strftime("%d.%m.%Y")
RU_HEADER = "Номер;Дата;Продавец;Контрагент;ИНН;Артикул;Количество;Цена"


def ru_csv(*rows: str) -> bytes:
    return ("\n".join([RU_HEADER, *rows]) + "\n").encode("cp1251")


def admin_email(app, program):
    with app.app_context():
        return db.session.get(User, program.admin_id).email


def upload(client, content: bytes, name="sales.csv", **extra):
    return client.post("/integrations/import", data={"file": (io.BytesIO(content), name), **extra},
                       content_type="multipart/form-data")


def confirmation(page: str) -> dict:
    return {name: re.search(rf'name="{name}" type="hidden" value="([^"]+)"', page).group(1)
            for name in ("token", "plan")}


def claims(app):
    with app.app_context():
        return db.session.scalars(select(Claim).order_by(Claim.id)).all()


def test_a_1c_file_is_checked_row_by_row_then_the_valid_claims_are_made(client, app, login, program):
    login(admin_email(app, program))
    content = ru_csv(
        f"СЧ-1;{DAY} 0:00:00;seller@a.test;ООО «Альфа»;;SPL-09;2,000;49 000,00",
        f"СЧ-1;{DAY} 0:00:00;seller@a.test;ООО «Альфа»;;PIPE;10,000;1 000,00",
        f"СЧ-2;{DAY};seller@a.test;ООО «Бета»;;NOPE;1;100",
        f"СЧ-3;{OLD};seller@a.test;ООО «Гамма»;;PIPE;1;100",
        f"СЧ-4;{DAY};seller@b.test;ООО «Дельта»;;PIPE;1;100",
        f"СЧ-5;{DAY};seller@a.test;ООО «Эпсилон»;;PIPE;1,5;100",
    )
    report = upload(client, content)
    page = report.get_data(as_text=True)
    assert report.status_code == 200
    assert "NOPE" in page and "seller@b.test" in page
    for row in (4, 5, 6, 7):
        assert f"<td>{row}</td>" in page
    assert "<td>2</td>" not in page and "<td>3</td>" not in page
    assert claims(app) == []  # nothing is written by the check

    done = client.post("/integrations/import/confirm", data=confirmation(page))
    assert done.status_code == 302
    made = claims(app)
    assert len(made) == 1
    assert made[0].status == DRAFT and made[0].invoice_number == "СЧ-1"
    assert made[0].total_kopecks == 2 * 4_900_000 + 10 * 100_000

    again = upload(client, content).get_data(as_text=True)  # the same file again: the invoice is known
    assert "confirm-import" not in again
    assert len(claims(app)) == 1


def test_english_headers_and_xlsx(client, app, login, program):
    login(admin_email(app, program))
    book = Workbook()
    sheet = book.active
    sheet.append(["invoice_number", "invoice_date", "seller_email", "customer_name", "customer_inn", "sku",
                  "quantity", "unit_price"])
    sheet.append(["INV-9", today() - timedelta(days=1), "seller@a.test", "Acme", None, "PIPE", 3, 1500.5])
    sheet.append([1024, today() - timedelta(days=1), "seller@a.test", "Acme", 7707083893, "SPL-09", 1, 50000])
    buffer = io.BytesIO()
    book.save(buffer)
    page = upload(client, buffer.getvalue(), "sales.xlsx").get_data(as_text=True)
    client.post("/integrations/import/confirm", data=confirmation(page))
    made = {c.invoice_number: c for c in claims(app)}
    assert made["INV-9"].total_kopecks == 3 * 150_050
    assert (made["1024"].total_kopecks, made["1024"].customer_inn) == (5_000_000, "7707083893")
    broken = upload(client, b"not a workbook", "sales.xlsx").get_data(as_text=True)
    assert "XLSX" in broken and "confirm-import" not in broken


def test_nothing_is_half_imported_when_a_claim_fails_at_confirmation(client, app, login, program):
    login(admin_email(app, program))
    content = ru_csv(f"A-1;{DAY};seller@a.test;Альфа;;PIPE;1;100", f"A-2;{DAY};seller@a.test;Бета;;SPL-09;1;100")
    page = upload(client, content).get_data(as_text=True)
    plan = confirmation(page)
    from portal.products.models import Product

    with app.app_context():  # the product leaves the program between the check and the confirmation
        db.session.scalar(select(Product).where(Product.sku == "SPL-09")).active = False
        db.session.commit()
    refused = client.post("/integrations/import/confirm", data=plan, follow_redirects=True)
    assert claims(app) == [] and "alert-danger" in refused.get_data(as_text=True)


def test_missing_columns_and_foreign_tokens(client, app, login, program, make):
    login(admin_email(app, program))
    page = upload(client, "Номер;Дата\n1;2\n".encode()).get_data(as_text=True)
    assert "Артикул" not in page or "столбц" in page or "columns" in page
    assert claims(app) == []
    stranger = make.user(role="partner_admin", company=None)
    content = ru_csv(f"A-1;{DAY};seller@a.test;Альфа;;PIPE;1;100")
    plan = confirmation(upload(client, content).get_data(as_text=True))
    login(stranger.email)
    client.post("/integrations/import/confirm", data=plan)
    assert claims(app) == []  # only the person who uploaded a file may confirm it


def test_a_manager_imports_for_a_chosen_company(client, app, login, program):
    with app.app_context():
        email = db.session.get(User, program.manager_id).email
    login(email)
    content = ru_csv(f"M-1;{DAY};seller@b.test;Альфа;;PIPE;1;100")
    page = upload(client, content, company=str(program.other_company_id)).get_data(as_text=True)
    client.post("/integrations/import/confirm", data=confirmation(page))
    made = claims(app)
    assert [(c.company_id, c.user.email if False else c.user_id) for c in made] == [
        (program.other_company_id, program.other_seller_id)]
    with app.app_context():
        assert db.session.scalar(select(func.count(Claim.id))) == 1


def test_the_bulk_writer_writes_what_save_draft_writes(app, program, db):
    """The import writes drafts in bulk for speed: the same rows the claim form's service would write."""
    from portal.api import sales_import
    from portal.claims import services

    content = ru_csv(f"  СЧ 7 ;{DAY};Seller@A.test;ООО  «Альфа» ;7707083893;SPL-09;2;49 000,00",
                     f"  СЧ 7 ;{DAY};Seller@A.test;ООО  «Альфа» ;7707083893;PIPE;10;1 000,00")
    report = sales_import.check_file("s.csv", content, program.company_id)
    (group,) = report.valid_groups
    sales_import.write_drafts(program.company_id, [group])
    sale = group.sale()
    reference = services.save_draft(db.session.get(User, program.seller_id), sale.claim)
    bulk = db.session.scalar(select(Claim).where(Claim.id != reference.id))
    columns = [c.key for c in Claim.__table__.columns if c.key not in ("id", "created_at")]
    assert {c: getattr(bulk, c) for c in columns} == {c: getattr(reference, c) for c in columns}
    line_columns = ("position", "product_id", "quantity", "unit_price_kopecks", "unit_cost_kopecks")
    assert [[getattr(line, c) for c in line_columns] for line in bulk.lines] == \
        [[getattr(line, c) for c in line_columns] for line in reference.lines]


def test_rows_of_one_invoice_naming_another_customer_are_a_conflict(client, app, login, program):
    login(admin_email(app, program))
    content = ru_csv(f"C-1;{DAY};seller@a.test;ООО «Альфа»;;PIPE;1;100",
                     f"C-1;{DAY};seller@a.test;ООО «Бета»;;SPL-09;1;100",
                     f"C-2;{DAY};seller@a.test;ООО «Гамма»;;PIPE;1;100")
    page = upload(client, content).get_data(as_text=True)
    assert "строки 3 этого счёта называют другого покупателя (ООО «Бета»), чем строка 2 (ООО «Альфа»)" in page
    assert "<td>2</td>" in page and "<td>3</td>" in page  # both rows of the conflict are listed
    client.post("/integrations/import/confirm", data=confirmation(page))
    assert [c.invoice_number for c in claims(app)] == ["C-2"]  # the conflicting invoice is not merged


def test_an_invoice_registered_by_the_api_is_named_in_the_report(client, app, login, program, company_token):
    from tests.api.conftest import auth, sale

    made = client.post("/api/v1/claims", json=sale(number="СЧ-77", days_ago=3), headers=auth(company_token))
    assert made.status_code == 201, made.get_data(as_text=True)
    claim_id = made.get_json()["id"]
    login(admin_email(app, program))
    page = upload(client, ru_csv(f"сч-77;{DAY};seller@a.test;ООО «Заказчик»;;PIPE;1;100")).get_data(as_text=True)
    assert f"счёт уже зарегистрирован: продажа №{claim_id} от seller@a.test" in page
    assert "confirm-import" not in page
    assert len(claims(app)) == 1


def test_a_preview_lists_the_claims_and_the_template_reads_back(client, app, login, program):
    login(admin_email(app, program))
    page = upload(client, ru_csv(f"P-1;{DAY};seller@a.test;ООО «Альфа»;;PIPE;2;1 000,00")).get_data(as_text=True)
    preview = page.split('data-testid="import-preview"')[1]
    assert "P-1" in preview and "ООО «Альфа»" in preview and "2\xa0000,00" in preview
    for fmt in ("csv", "xlsx"):
        template = client.get(f"/integrations/import/template.{fmt}")
        assert template.status_code == 200
        page = upload(client, template.get_data(), f"sales.{fmt}").get_data(as_text=True)
        assert "В файле нет строк под заголовком." in page, fmt
