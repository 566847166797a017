"""The demo program is consistent: `flask portal demo` on a fresh database, then `flask portal check`, is clean.

Loading the demo is most of this test's time: about 20 s on an idle machine (SQLite or PostgreSQL), 50 to 70 s
on two busy cores."""

import pytest

from portal.checks.runner import checks
from portal.extensions import db


@pytest.fixture
def upload_dir(app, tmp_path):
    saved = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path)
    yield
    app.config["UPLOAD_DIR"] = saved


def test_the_demo_followed_by_portal_check_is_clean(app, upload_dir):
    runner = app.test_cli_runner()
    loaded = runner.invoke(args=["portal", "demo"])
    assert loaded.exit_code == 0, loaded.output
    with app.app_context():
        db.session.remove()
    result = runner.invoke(args=["portal", "check"])
    assert result.exit_code == 0, result.output
    assert result.output == f"Все проверки ({len(checks())}) пройдены, расхождений нет.\n"
