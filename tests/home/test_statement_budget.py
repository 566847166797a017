"""How many SQL statements each main page costs on the demo program, so the number cannot creep back (issue #27).

Every page stays within 12 statements; the participant's home within 8 (its own cards come from a cache kept
fresh by the person's changes, see portal/home/cache.py). A page over budget fails with the statements it ran,
so the next person sees which read repeats. The same walk fails on any lazy load while a template renders
(tests/lazy_loads.py), naming the page, the template and the relationship, for the view to load instead. The KPI
pages and the manager's dashboard have their own budget test in tests/kpi.

Loading the demo is most of this test's time (20 s on an idle machine, up to a minute on two busy cores): one
test visits every page.
"""

import pytest
from sqlalchemy import event, select

from portal.demo import load_demo
from portal.extensions import db
from tests.lazy_loads import watch_lazy_loads

PAGE_BUDGET = 12
HOME_BUDGET = 8

SELLER = "seller@demo.test"
HEAD = "head@demo.test"
MANAGER = "manager@demo.test"


@pytest.fixture
def demo(app, tmp_path):
    saved = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path)
    with app.app_context():
        load_demo()
        db.session.remove()
    yield
    app.config["UPLOAD_DIR"] = saved


def _ids(app) -> dict:
    from portal.auth.models import User
    from portal.claims.models import Claim
    from portal.contests.models import Contest
    from portal.leads.models import Lead
    from portal.shop.models import Order, Prize
    from portal.training.models import Course

    with app.app_context():
        seller = db.session.scalar(select(User.id).where(User.email == SELLER))
        ids = {
            "claim": db.session.scalar(select(Claim.id).where(Claim.user_id == seller).order_by(Claim.id)),
            "contest": db.session.scalar(select(Contest.id).where(Contest.status == "running").order_by(Contest.id)),
            "lead": db.session.scalar(select(Lead.id).order_by(Lead.id)),
            "order": db.session.scalar(select(Order.id).where(Order.user_id == seller).order_by(Order.id)),
            "course": db.session.scalar(select(Course.id).order_by(Course.id)),
            "prize": db.session.scalar(select(Prize.id).order_by(Prize.id)),
            "person": seller,
        }
        db.session.remove()
    return ids


def _pages(ids: dict) -> dict[str, list[str]]:
    return {
        SELLER: ["/home", "/claims", "/claims/new", f"/claims/{ids['claim']}", "/points", "/shop",
                 f"/shop/prizes/{ids['prize']}", "/shop/cart", "/shop/orders", f"/shop/orders/{ids['order']}",
                 "/training", f"/training/{ids['course']}", "/leads", "/leads/new", "/contests",
                 f"/contests/{ids['contest']}", "/plan", "/notifications/", "/news/", "/profile",
                 "/notifications/mail", "/rules"],
        HEAD: ["/home", "/team", "/team/claims", "/team/leads", "/team/plans", "/team/training", "/integrations"],
        MANAGER: ["/console/claims", f"/claims/{ids['claim']}", "/console/people", f"/console/people/{ids['person']}",
                  "/console/companies", "/console/orders", "/console/leads",
                  # The lead channels come with a migration, which the PostgreSQL run's cleaning empties: no leads.
                  *([f"/leads/{ids['lead']}"] if ids["lead"] else []),
                  "/console/contests", f"/console/contests/{ids['contest']}", f"/contests/{ids['contest']}",
                  "/console/plans", "/console/groups", "/console/products", "/console/prizes", "/console/rules",
                  "/console/training", "/console/training/completions", "/console/audit", "/console/points",
                  "/console/prize-tax", "/console/leads/report", "/news/manage", "/console/fraud",
                  "/console/settings"],
    }


def test_every_main_page_stays_within_its_statement_budget(app, demo):
    ids = _ids(app)
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split())[:160])

    over, lazy = [], []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for email, paths in _pages(ids).items():
            client = app.test_client()
            assert client.post("/login", data={"email": email, "password": "demo12345"}).status_code == 302
            for path in paths:
                with watch_lazy_loads(app) as loads:
                    assert client.get(path).status_code == 200, path  # the first visit fills caches
                lazy.extend(f"{email} {path}: {template} loads {what}" for template, what in sorted(loads.found))
                statements.clear()
                response = client.get(path)
                assert response.status_code == 200, path
                budget = HOME_BUDGET if path == "/home" and email != MANAGER else PAGE_BUDGET
                if len(statements) > budget:
                    over.append(f"{email} {path}: {len(statements)} statements (budget {budget}):\n    "
                                + "\n    ".join(statements))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert not over and not lazy, "\n".join(
        over + (["Lazy loads while a template renders (load them in the view):", *lazy] if lazy else []))
