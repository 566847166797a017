"""The KPI pages and the manager's dashboard read a few statements each, so their cost cannot creep back.

The demo program is loaded once; each page is opened once to warm up and then counted (every SQL statement the
request sends, the signed-in person's own reads included). Issue #27: at most 12 statements a page.
"""

import pytest
from sqlalchemy import event

from portal.demo import DEMO_PASSWORD, load_demo
from portal.extensions import db

BUDGET = 12
PAGES = [
    ("manager@demo.test", "/home"),
    ("manager@demo.test", "/kpi"),
    ("manager@demo.test", "/kpi/budget"),
    ("manager@demo.test", "/kpi/plan"),
    ("manager@demo.test", "/kpi/stages"),
    ("manager@demo.test", "/kpi/reports"),
    ("head@demo.test", "/kpi/my-company"),
]


@pytest.fixture
def demo(app, tmp_path):
    saved = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path)
    with app.app_context():
        load_demo()
        db.session.commit()
        db.session.remove()
    yield
    app.config["UPLOAD_DIR"] = saved


def statements_of(app, client, path: str) -> list[str]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement.split("\n")[0][:120])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, (path, response.status_code)
    return seen


def test_kpi_pages_and_the_dashboard_stay_within_the_statement_budget(app, demo):
    over = []
    for email, path in PAGES:
        client = app.test_client()
        assert client.post("/login", data={"email": email, "password": DEMO_PASSWORD}).status_code == 302
        client.get(path)  # warm up: first-request caches are not what every request pays
        seen = statements_of(app, client, path)
        if len(seen) > BUDGET:
            over.append(f"{path} as {email}: {len(seen)} statements\n    " + "\n    ".join(seen))
    assert not over, f"pages above {BUDGET} statements:\n" + "\n".join(over)
