"""Large exports run in the worker with a progress page; small ones stay immediate."""

import io
import json
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.core.exports import EXPORT_BUILDERS, Table, export_builder
from portal.core.time import utcnow
from portal.extensions import db
from portal.ledger import services as ledger
from portal.ops import exports
from portal.ops.models import EXPORT_DONE, EXPORT_FAILED, EXPORT_QUEUED, ExportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def settings(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 3)


@pytest.fixture
def seller(app, make):
    person = make.user(email="seller@example.test")
    with app.app_context():
        for n in range(5):
            ledger.earn(person.id, 10 * (n + 1), key=f"test:{n}", source_type="adjustment")
        db.session.commit()
    return person


def _job(app, job_id):
    with app.app_context():
        return db.session.get(ExportJob, job_id)


def test_a_small_export_stays_immediate(app, client, login, seller, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 5)
    login("seller@example.test")
    response = client.get("/points/export.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert load_workbook(io.BytesIO(response.data)).active.max_row == 6


def test_a_large_statement_is_written_by_the_worker_and_offered_when_ready(app, client, login, seller, make, queue):
    login("seller@example.test")
    response = client.get("/points/export.xlsx")
    assert response.status_code == 302
    progress_url = response.headers["Location"]
    job_id = int(progress_url.rsplit("/", 1)[1])
    page = client.get(progress_url).get_data(as_text=True)
    assert 'role="progressbar"' in page and "export-progress.js" in page and "<script>" not in page
    state = client.get(f"/exports/{job_id}/status").json
    assert (state["status"], state["percent"], state["download_url"]) == (EXPORT_QUEUED, 0, None)
    # one running export per person: a second one leads back to the first
    again = client.get("/points/export.csv")
    assert again.headers["Location"].endswith(f"/exports/{job_id}")
    assert queue() == 1
    state = client.get(f"/exports/{job_id}/status").json
    assert (state["status"], state["percent"], state["progress"], state["total"]) == (EXPORT_DONE, 100, 5, 5)
    download = client.get(state["download_url"])
    data = download.data
    download.close()
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Дата", "Описание", "Операция", "Баллы")
    assert sorted(r[3] for r in rows[1:]) == [10, 20, 30, 40, 50]
    # someone else cannot see or download it
    make.user(email="other@example.test")
    login("other@example.test")
    assert client.get(progress_url).status_code == 404
    assert client.get(f"/exports/{job_id}/download").status_code == 404


def test_progress_reaches_100_percent_in_steps(app, queue, make, monkeypatch):
    owner = make.user(email="big@example.test")

    @export_builder("test-rows")
    def rows_table(params):
        return Table("rows", "Rows", ["n", "square"], ((n, n * n) for n in range(params["n"])), params["n"])

    seen = []
    real_progress = exports._progress
    monkeypatch.setattr(exports, "PROGRESS_EVERY_SECONDS", 0)
    monkeypatch.setattr(exports, "_progress", lambda job_id, done, total: (seen.append(done),
                                                                            real_progress(job_id, done, total)))
    try:
        with app.test_request_context():
            from portal.auth.models import User

            job = exports.start_export(db.session.get(User, owner.id), "test-rows", {"n": 2500}, "xlsx")
            db.session.commit()
            exports.run_export(job.id)
            db.session.refresh(job)
            assert (job.status, job.percent, job.progress) == (EXPORT_DONE, 100, 2500)
            assert seen == [0, 1000, 2000]
            assert job.expires_at == job.finished_at + timedelta(days=1)
            sheet = load_workbook(exports.ready_file(job)).active
            assert sheet.max_row == 2501
            assert list(sheet.iter_rows(min_row=2501, values_only=True)) == [(2499, 2499 ** 2)]
            # after a day the file is gone and the page says so
            assert exports.remove_expired_exports(job.expires_at) == 1
            db.session.refresh(job)
            assert exports.ready_file(job) is None and exports.describe_export(job)["expired"] is True
    finally:
        EXPORT_BUILDERS.pop("test-rows")


def test_a_failed_export_says_so(app, client, login, make):
    make.user(email="unlucky@example.test")

    @export_builder("test-broken")
    def broken(params):
        def rows():
            yield (1,)
            raise RuntimeError("the database went away")
        return Table("broken", "Broken", ["n"], rows(), 2)

    try:
        with app.test_request_context():
            from portal.auth.models import User

            owner = db.session.scalar(select(User).where(User.email == "unlucky@example.test"))
            job = exports.start_export(owner, "test-broken", {}, "csv")
            db.session.commit()
            exports.run_export(job.id)
            job_id, owner_id = job.id, owner.id
        login("unlucky@example.test")
        state = client.get(f"/exports/{job_id}/status").json
        assert state["status"] == EXPORT_FAILED and state["error"] and state["download_url"] is None
        assert "export-progress.js" in client.get(f"/exports/{job_id}").get_data(as_text=True)
        assert client.get(f"/exports/{job_id}/download").status_code == 404
        # the failed one no longer blocks a new export
        with app.test_request_context():
            owner = db.session.get(User, owner_id)
            assert exports.start_export(owner, "test-broken", {}, "csv").id != job_id
            db.session.rollback()
    finally:
        EXPORT_BUILDERS.pop("test-broken")


def test_manager_order_and_tax_exports_go_to_the_worker_when_large(app, client, login, make, queue, monkeypatch):
    from portal.auth.models import MANAGER

    make.user(role=MANAGER, email="boss@example.test")
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", -1)  # even an empty table goes to the worker
    login("boss@example.test")
    for url, kind in (("/console/orders/export.xlsx?status=approved", "shop-orders"),
                      ("/console/prize-tax.xlsx?year=2026", "prize-tax")):
        response = client.get(url)
        assert response.status_code == 302 and "/exports/" in response.headers["Location"]
        queue()
        job = _job(app, int(response.headers["Location"].rsplit("/", 1)[1]))
        assert (job.kind, job.status) == (kind, EXPORT_DONE)
        assert json.loads(job.params) in ({"status": "approved"}, {"year": 2026})
    # A year no register can have reads as "not given": this year's register, like the register page.
    assert client.get("/console/prize-tax.xlsx?year=99999999999999999999").status_code in (200, 302)
    assert utcnow()


@pytest.mark.parametrize("locale, expected", [
    ("ru", ["Когда;Сумма;Доля", "08.12.2026 00:30:15;1234,50;9,3"]),
    ("en", ["Когда,Сумма,Доля", "2026-12-08 00:30:15,1234.50,9.3"]),
])
def test_the_worker_writes_typed_columns_in_the_owners_language(app, queue, make, locale, expected):
    from datetime import datetime

    from portal.core.exports import DATETIME, MONEY, PERCENT, Column

    owner = make.user(email="typed@example.test", locale=locale)

    @export_builder("test-typed")
    def typed_table(params):
        return Table("typed", "Typed", [Column("Когда", DATETIME), Column("Сумма", MONEY), Column("Доля", PERCENT)],
                     [(datetime(2026, 12, 7, 21, 30, 15, 123456), 123450, 9.3)], 1)

    try:
        with app.test_request_context():
            from portal.auth.models import User

            for fmt in ("csv", "xlsx"):
                job = exports.start_export(db.session.get(User, owner.id), "test-typed", {}, fmt)
                db.session.commit()
                exports.run_export(job.id)
                db.session.refresh(job)
                path = exports.ready_file(job)
                if fmt == "csv":
                    assert path.read_text(encoding="utf-8-sig").splitlines() == expected
                    continue
                sheet = load_workbook(path).active
                assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:C2"
                when, amount, share = sheet[2]
                assert when.value == datetime(2026, 12, 8, 0, 30, 15) and amount.number_format == "#,##0.00"
                assert (float(amount.value), float(share.value), share.number_format) == (1234.5, 0.093, "0.0%")
    finally:
        EXPORT_BUILDERS.pop("test-typed", None)
