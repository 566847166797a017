"""End-to-end fixtures: the portal served from a thread, driven by Debian's Chromium through Playwright."""

import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from portal.extensions import db
from tests.e2e import axe

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# CI shares two cores between the browser, the server and the database: give pages time to settle.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Never `playwright install` here: use the system Chromium when there is one.
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"]
    options = {**browser_type_launch_args, "args": args}
    if executable:
        options["executable_path"] = executable
    return options


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1366, "height": 900}, "locale": "ru-RU"}


@pytest.fixture
def axe_watch():
    """axe-core on every page the test's browsers load (tests/e2e/axe.py): any WCAG 2.1 A/AA violation fails it."""
    watch = axe.Watch()
    yield watch
    if watch.findings:
        pytest.fail(axe.report(watch.findings), pytrace=False)
    if watch.errors:
        pytest.fail("axe-core could not check: " + "; ".join(watch.errors), pytrace=False)


@pytest.fixture
def context(context, axe_watch):
    axe_watch.attach(context)
    yield context
    axe_watch.finish([context])  # the pages' last documents, before the context closes


@pytest.fixture
def live_server(app, make_app, served_apps):
    """The portal as a browser sees it: CSRF on, on a free loopback port, on the test database."""
    # Settings a test changed on the shared app (the Stripe emulator's address, say) carry over.
    served = make_app(WTF_CSRF_ENABLED=True, **{k: app.config[k] for k in ("STRIPE_API_BASE", "STRIPE_JS_URL",
                                                                          "UPLOAD_DIR")})
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served.config["SERVER_NAME"] = None
    served_apps.append(served)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with served.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def served_apps():
    """The apps `live_server` served in this test: the consistency checks run in them when the journey ends."""
    return []


def consistency_report(app) -> str:
    """Every consistency check (`portal check`) run in `app`'s database and app context: the findings in English,
    grouped by check, or an empty string when every check is clean. Changes nothing."""
    from flask_babel import force_locale

    from portal.checks.runner import run_checks

    with app.app_context(), force_locale("en"):
        try:
            results = run_checks()
            lines = []
            for result in results:
                if result.findings:
                    lines.append(f"{result.check.name}:")
                    lines.extend(f"  - {finding}" for finding in result.findings)
            return "\n".join(lines)
        finally:
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(autouse=True)
def consistency_checks(served_apps):
    """Every browser journey ends with `portal check` clean: once the browsers and the server are done, every
    consistency check runs on the served app's database, and the test fails with whatever a check found."""
    yield
    for served in served_apps:
        report = consistency_report(served)
        if report:
            pytest.fail("`portal check` is not clean after this journey:\n" + report, pytrace=False)


@pytest.fixture
def shot(request):
    """Save a screenshot under artifacts/screenshots/ (git-ignored) to look at after a run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str):
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-{name}.png"), full_page=True)

    return take


@pytest.fixture
def new_page(browser, browser_context_args, axe_watch):
    """Another person's browser, with cookies of its own."""
    contexts = []

    def open_page():
        context = browser.new_context(**browser_context_args)
        axe_watch.attach(context)
        contexts.append(context)
        return context.new_page()

    yield open_page
    axe_watch.finish(contexts)
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def base_url():
    """Replaces pytest-base-url's fixture (deprecated form in pytest 9): tests use `live_server`."""
    return None


# --- Content-Security-Policy: any violation a page reports fails the test ---------------------------------
_CSP_REPORTER = """document.addEventListener('securitypolicyviolation', (e) => console.error(
  'Content Security Policy violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
  ' at ' + e.sourceFile + ':' + e.lineNumber));"""


@pytest.fixture(autouse=True)
def csp_violations(browser, monkeypatch):
    """Every browser context of the test reports CSP violations from its console; the test fails on any."""
    found: list[str] = []
    original = browser.new_context

    def new_context(*args, **kwargs):
        context = original(*args, **kwargs)
        context.add_init_script(_CSP_REPORTER)
        context.on("console", lambda message: found.append(f"{message.page.url if message.page else ''}: "
                                                           f"{message.text}")
                   if "Content Security Policy" in message.text else None)
        return context

    monkeypatch.setattr(browser, "new_context", new_context)
    yield found
    assert not found, "Content-Security-Policy violations:\n" + "\n".join(found)
