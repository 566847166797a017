"""A long statement export in a real browser: the progress page fills its bar and offers the file."""

import pytest
from playwright.sync_api import expect

from portal.config import Config
from portal.extensions import db
from tests.e2e.seed import starting_points
from tests.e2e.test_accounts import log_in


@pytest.fixture
def small_exports(app, tmp_path, monkeypatch):
    """Exports of more than two rows go to the worker (set before live_server builds its app)."""
    monkeypatch.setattr(Config, "EXPORT_BACKGROUND_ROWS", 2)
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))


def test_a_long_export_shows_progress_and_offers_the_file(app, small_exports, queue, live_server, page, make, shot):
    seller = make.user(email="seller@example.test", full_name="Соколова Анна")
    with app.app_context():
        for n in range(4):
            starting_points(seller.id, 100, key=f"e2e-{n}")
        db.session.commit()
    log_in(page, live_server, "seller@example.test")
    page.goto(f"{live_server}/points")
    with page.expect_navigation():
        page.get_by_role("link", name="XLSX").first.click()
    expect(page.get_by_role("heading")).to_contain_text("Выгрузка")
    expect(page.get_by_text("Ждёт обработчика")).to_be_visible()
    download_link = page.get_by_role("link", name="Скачать файл")
    expect(download_link).to_be_hidden()
    shot(page, "queued")
    assert queue() == 1  # the worker writes it; the page notices without a reload
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_text("4 из 4 строк")).to_be_visible()
    expect(download_link).to_be_visible()
    shot(page, "ready")
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.endswith(".xlsx")
