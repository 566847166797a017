"""The demo program is consistent: loaded on a fresh database, `portal check` finds nothing.

The demo takes about 20 s on SQLite (loading it is most of this test's time)."""

import time

import pytest

from portal.checks.runner import checks, run_checks
from portal.demo import load_demo
from portal.extensions import db


@pytest.fixture
def demo(app, tmp_path):
    saved = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path)
    started = time.monotonic()
    with app.app_context():
        load_demo()
        db.session.remove()
    yield time.monotonic() - started
    app.config["UPLOAD_DIR"] = saved


def test_the_demo_followed_by_portal_check_is_clean(app, demo):
    result = app.test_cli_runner().invoke(args=["portal", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Все проверки ({len(checks())}) пройдены, расхождений нет."
    assert demo < 120, f"the demo took {demo:.0f} s"


def test_every_demo_credit_has_its_source(app, demo):
    with app.test_request_context():
        [sources] = [result for result in run_checks() if result.check.run.__name__ == "unjustified_credits"]
        assert sources.findings == []
