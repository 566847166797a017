"""Near-duplicate PDF text: the text of a PDF scan is fingerprinted at submission (a simhash over word pairs, in
indexed bands) and compared with earlier PDFs; honest repeat orders, PDFs without text and broken PDFs."""

from datetime import timedelta

import pytest

from portal.core.time import today
from portal.extensions import db
from portal.fraud.fingerprints import distance, normalised_words, simhash
from portal.fraud.models import ClaimRisk
from portal.program.services import get_settings
from tests.claims import factories as f
from tests.fraud.helpers import invoice_image, invoice_pdf, invoice_text, submit


def days_ago(days: int):
    return today() - timedelta(days=days)


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)


@pytest.fixture
def seller(make, db):
    f.product()
    f.per_unit_rule(100)
    get_settings().first_sale_bonus = 0
    return make.user(email="seller@example.test")


def send(user, number, *, text=None, invoice_date=None, pdf: bytes | None = None):
    scan = pdf if pdf is not None else invoice_pdf(text or invoice_text(number=number))
    return submit(user, number=number, invoice_date=invoice_date or days_ago(30), customer_inn="7728168971",
                  filename="invoice.pdf", scan=scan)


def risk(claim) -> ClaimRisk:
    return db.session.get(ClaimRisk, claim.id)


def signals(claim) -> list[tuple[str, int, list[int]]]:
    return [(found["code"], found["weight"], found["claims"]) for found in risk(claim).signals]


def test_the_simhash_of_a_few_changed_words_is_near_and_of_another_invoice_far():
    def text_hash(**values):
        return simhash(normalised_words("\n".join(invoice_text(**values))))

    original = text_hash()
    assert distance(original, text_hash(extra=("Copy",))) <= 3
    assert distance(original, text_hash(customer="OOO Drugoi", customer_inn="5001234567",
                                        lines=(("SPL-09", "Split system 09", 5, 48000),))) > 10
    assert simhash(normalised_words("Invoice 1")) is None  # too few words to compare


def test_another_companys_pdf_with_nearly_the_same_text_is_held_and_points_to_it(make, seller):
    first = send(seller, "SCH-1")
    other = make.user(email="other@example.test")  # of another company
    copy = send(other, "SCH-1-copy", text=invoice_text(number="SCH-1", extra=("Copy",)))
    assert risk(copy).scan_sha256 != risk(first).scan_sha256 and risk(copy).text_simhash
    assert signals(copy) == [("near_text_other", 50, [first.id])] and risk(copy).held


def test_the_same_invoice_renumbered_by_the_same_company_on_the_same_day_is_a_signal(seller):
    first = send(seller, "SCH-1")
    # claimed under another number, with the same invoice exported again
    again = send(seller, "SCH-2", text=invoice_text(number="SCH-1", extra=("Copy",)))
    assert ("near_text_same", 25, [first.id]) in signals(again)


def test_an_honest_repeat_order_is_not_flagged(seller):
    """The same customer, the same goods, each month: another invoice number and date, the same company."""
    for month, number in enumerate(("SCH-10", "SCH-31", "SCH-58")):
        day = days_ago(50 - 20 * month)
        claim = send(seller, number, invoice_date=day,
                     text=invoice_text(number=number, day=day.strftime("%d.%m.%Y")))
        assert risk(claim).text_simhash and risk(claim).score == 0, signals(claim)


def test_a_repeat_order_of_a_colleague_is_not_flagged(make, seller):
    """A colleague of the same company invoicing the regular customer the same goods next month."""
    send(seller, "SCH-10")
    colleague = make.user(email="colleague@example.test", company=seller.company)
    claim = send(colleague, "SCH-31", invoice_date=days_ago(3),
                 text=invoice_text(number="SCH-31", day=days_ago(3).strftime("%d.%m.%Y")))
    assert signals(claim) == []


@pytest.mark.parametrize("pdf", [
    invoice_pdf([], image_only=True),  # a scanner's PDF: a picture, no text
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\nthis is not a PDF at all",  # broken
    invoice_pdf(["Invoice 1"]),  # too little text to compare
])
def test_a_pdf_without_readable_text_is_scored_without_a_text_hash(make, seller, pdf):
    first = send(seller, "SCH-1", pdf=pdf)
    other = make.user(email="other@example.test")
    second = send(other, "SCH-2", pdf=pdf + b"\n")  # another file with the same (missing) text
    assert risk(first).text_simhash is None and risk(second).text_simhash is None
    assert [code for code, _, _ in signals(second)] == []
    assert second.status == "submitted"


def test_an_image_scan_has_no_text_hash(seller):
    claim = submit(seller, number="SCH-1", scan=invoice_image(1))
    assert risk(claim).text_simhash is None and risk(claim).scan_phash
