"""Uploaded files: a browser never runs them, pictures are re-encoded, huge ones are refused politely."""

import io
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from portal.auth.models import MANAGER
from portal.claims.models import Claim
from portal.core.uploads import FILE_POLICY
from portal.extensions import db
from portal.leads.models import LeadAttachment
from portal.shop.models import Prize
from tests.claims.test_views import catalogue, claim_form  # noqa: F401 - fixture
from tests.leads.test_views import lead_form, setup  # noqa: F401 - fixture

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
POLYGLOT_PDF = b"%PDF-1.4\n" + HTML


def png(width=40, height=30, tail=b"") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue() + tail


def bomb_png(width=60000, height=60000) -> bytes:
    """A few hundred bytes that declare a picture of 3.6 gigapixels."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = chunk(b"IDAT", zlib.compress(b"\0" * 1000))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + pixels + chunk(b"IEND", b"")


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)


def _assert_download(response):
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == FILE_POLICY
    assert response.headers["Cache-Control"] == "no-store"
    assert "sandbox" in FILE_POLICY and "default-src 'none'" in FILE_POLICY


def _submit_claim(client, scan):
    return client.post("/claims/new", data=claim_form(scan=scan), content_type="multipart/form-data")


def test_a_pdf_carrying_html_is_only_ever_a_download(app, client, login, make, catalogue):  # noqa: F811
    make.user(email="seller@example.test")
    make.user(role=MANAGER, email="manager@example.test")
    login("seller@example.test")
    assert _submit_claim(client, (io.BytesIO(POLYGLOT_PDF), "invoice.pdf")).status_code == 302
    with app.app_context():
        claim_id = db.session.scalar(select(Claim.id))
    for who in ("seller@example.test", "manager@example.test"):
        login(who)
        for query in ("", "?preview=1", "?download=0"):
            with client.get(f"/claims/{claim_id}/scan{query}") as response:
                _assert_download(response)
                assert response.mimetype == "application/pdf"
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "<iframe" not in page


def test_a_png_scan_is_re_encoded_and_previewed_only_as_pixels(app, client, login, make, catalogue):  # noqa: F811
    make.user(email="seller@example.test")
    make.user(role=MANAGER, email="manager@example.test")
    login("seller@example.test")
    assert _submit_claim(client, (io.BytesIO(png(tail=HTML)), "scan.png")).status_code == 302
    with app.app_context():
        claim_id = db.session.scalar(select(Claim.id))
    login("manager@example.test")
    with client.get(f"/claims/{claim_id}/scan") as response:
        _assert_download(response)
        assert b"<script" not in response.data and Image.open(io.BytesIO(response.data)).size == (40, 30)
    with client.get(f"/claims/{claim_id}/scan?preview=1") as response:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.headers["Content-Disposition"].startswith("inline")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == FILE_POLICY
        assert b"<script" not in response.data
    assert f"/claims/{claim_id}/scan?preview=1" in client.get(f"/claims/{claim_id}").get_data(as_text=True)


def test_a_scan_declaring_a_huge_picture_is_refused_at_the_field(app, client, login, make, catalogue):  # noqa: F811
    make.user(email="seller@example.test")
    login("seller@example.test")
    response = _submit_claim(client, (io.BytesIO(bomb_png()), "scan.png"))
    assert response.status_code == 200
    assert "Изображение слишком большое" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Claim)) is None


def test_a_13_mb_scan_gets_the_too_large_message_not_a_bare_413(app, client, login, make, catalogue):  # noqa: F811
    make.user(email="seller@example.test")
    login("seller@example.test")
    big = b"%PDF-1.4\n" + b"0" * (13 * 1024 * 1024)
    # Encoded in memory: the test client's own temporary file would stay open, as the body is never read.
    scan = FileStorage(io.BytesIO(big), filename="big.pdf", content_type="application/pdf")
    body, length, boundary = stream_encode_multipart(claim_form(scan=scan), use_tempfile=False)
    assert length > 13 * 1024 * 1024
    response = client.post("/claims/new", data=body.getvalue(),
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/claims/new")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Файл слишком большой" in page and 'name="invoice_number"' in page
    with app.app_context():
        assert db.session.scalar(select(Claim)) is None


def test_lead_attachments_are_downloads(app, client, login, make, setup):  # noqa: F811
    make.user(email="seller@example.test")
    login("seller@example.test")
    form = lead_form(setup, attachments=[(io.BytesIO(POLYGLOT_PDF), "brief.pdf")])
    assert client.post("/leads/new", data=form, content_type="multipart/form-data").status_code == 302
    with app.app_context():
        item = db.session.scalar(select(LeadAttachment))
    with client.get(f"/leads/{item.lead_id}/files/{item.id}") as response:
        _assert_download(response)


def test_lesson_attachments_are_downloads_and_pictures_previews(app, client, login, make):
    from portal.training.models import LESSON, CourseItem
    from portal.training.uploads import store_attachment
    from tests.training import factories as tf

    make.user(email="seller@example.test")
    ids = []
    with app.test_request_context():
        course = tf.course()
        for name, content in (("a.pdf", POLYGLOT_PDF), ("b.png", png(tail=HTML))):
            stored, original, mimetype = store_attachment(name, content)
            item = CourseItem(course_id=course.id, position=10 + len(ids), kind=LESSON, title=name, body="",
                              attachment_path=stored, attachment_name=original, attachment_mimetype=mimetype)
            db.session.add(item)
            db.session.flush()
            ids.append(item.id)
        db.session.commit()
    login("seller@example.test")
    for item_id in ids:
        for query in ("", "?preview=1"):
            with client.get(f"/training/files/{item_id}{query}") as response:
                if query and item_id == ids[1]:
                    assert response.mimetype == "image/jpeg" and b"<script" not in response.data
                    assert response.headers["Content-Security-Policy"] == FILE_POLICY
                else:
                    _assert_download(response)


def test_prize_photos_are_re_encoded_inline_and_a_bomb_is_refused(app, client, login, make):
    make.user(role=MANAGER, email="manager@example.test")
    login("manager@example.test")
    form = {"name": "Рюкзак", "category": "Аксессуары", "description": "", "price_points": "2500", "value": "",
            "stock": "4", "audience": "", "active": "y"}
    bomb = client.post("/console/prizes/new", data={**form, "image": (io.BytesIO(bomb_png()), "r.png")},
                       content_type="multipart/form-data")
    assert bomb.status_code == 200 and "Изображение слишком большое" in bomb.get_data(as_text=True)
    ok = client.post("/console/prizes/new", data={**form, "image": (io.BytesIO(png(tail=HTML)), "r.png")},
                     content_type="multipart/form-data")
    assert ok.status_code == 302
    with app.app_context():
        prize = db.session.scalar(select(Prize))
    with client.get(f"/shop/images/{prize.image_path}") as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
        assert not image.headers.get("Content-Disposition", "inline").startswith("attachment")
        assert image.headers["X-Content-Type-Options"] == "nosniff"
        assert image.headers["Content-Security-Policy"] == FILE_POLICY
        assert image.headers["Cache-Control"] == "private, max-age=86400"
        assert b"<script" not in image.data


# One upload module: each kind of file has its folder, its field, its messages and its types; claims, leads and
# training keep their thin names (store_scan, store_attachment, ...) over it.

def test_each_kind_keeps_its_files_in_its_own_folder(app, tmp_path):
    from portal.claims.scans import scan_file, store_scan
    from portal.leads.attachments import attachment_file
    from portal.leads.attachments import store_attachment as store_lead_file
    from portal.training.uploads import attachment_file as lesson_file
    from portal.training.uploads import store_attachment as store_lesson_file

    with app.test_request_context():
        scan = store_scan("docs/2026/invoice.pdf", POLYGLOT_PDF)
        lead_file = store_lead_file("", png())
        lesson = store_lesson_file(None, POLYGLOT_PDF)
        assert scan[1:] == ("invoice.pdf", "application/pdf") and scan[0].endswith(".pdf")
        assert lead_file[1:] == ("file", "image/png") and lead_file[0].endswith(".png")
        assert lesson[1:] == ("file", "application/pdf")
        assert scan_file(scan[0]) == tmp_path / "claims" / scan[0] and scan_file(scan[0]).read_bytes() == POLYGLOT_PDF
        assert attachment_file(lead_file[0]) == tmp_path / "leads" / lead_file[0]
        assert lesson_file(lesson[0]) == tmp_path / "training" / lesson[0]
        assert store_scan("", POLYGLOT_PDF)[1] == "scan"
        assert len({scan[0], store_scan("invoice.pdf", POLYGLOT_PDF)[0]}) == 2  # random names, never the user's


def test_a_stored_name_never_leads_out_of_its_kinds_folder(app, tmp_path):
    from portal.core.uploads import UploadKind, stored_file

    kind = UploadKind(folder="claims", field="scan", wrong_type="wrong", too_large="large")
    with app.app_context():
        assert stored_file(kind, "../../etc/passwd") == tmp_path / "claims" / "passwd"
        assert stored_file(kind, "/etc/passwd") == tmp_path / "claims" / "passwd"


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"%PDF-" + b"0" * (10 * 1024 * 1024), "large"),
    (png(), "wrong"),
    (b"<?xml version='1.0'?><a/>", "wrong"),
])
def test_a_kind_takes_only_its_own_types_and_says_why_at_its_field(app, content, message):
    from portal.core.errors import DomainError
    from portal.core.uploads import UploadKind, store_upload

    kind = UploadKind(folder="pdfs", field="document", wrong_type="wrong", too_large="large", empty="empty",
                      types=("application/pdf",))
    with app.app_context(), pytest.raises(DomainError) as refused:
        store_upload(kind, "x", content)
    assert (refused.value.message, refused.value.field) == (message, "document")


@pytest.mark.parametrize("store, field, messages", [
    ("portal.claims.scans:store_scan", "scan",
     ("Файл пуст.", "Скан больше 10 МБ.", "Скан должен быть файлом PDF, JPEG или PNG.")),
    ("portal.leads.attachments:store_attachment", "attachments",
     ("Файл пуст.", "Файл больше 10 МБ.", "Прикрепите файлы PDF, JPEG или PNG.")),
    ("portal.training.uploads:store_attachment", "attachment",
     ("Приложите файл PDF, JPEG или PNG.", "Файл больше 10 МБ.", "Приложите файл PDF, JPEG или PNG.")),
])
def test_scans_and_attachments_keep_their_own_messages(app, store, field, messages):
    import importlib

    from portal.core.errors import DomainError

    module, name = store.split(":")
    store = getattr(importlib.import_module(module), name)
    contents = (b"", b"%PDF-" + b"0" * (10 * 1024 * 1024), b"GIF89a")
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        for content, message in zip(contents, messages, strict=True):
            with pytest.raises(DomainError) as refused:
                store("x.pdf", content)
            assert (str(refused.value.message), refused.value.field) == (message, field)
