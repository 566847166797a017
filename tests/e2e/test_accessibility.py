"""Accessibility over the demo program, in a real Chromium: every page of every role's menu passes axe-core
(WCAG 2.1 A/AA) in Russian and in English, reflows at 1280 px and at 200 % zoom without sideways scrolling,
and the menus work from the keyboard.

The pages are found by following each role's menu (and the first link of each list page into a detail
page), so a page added to the menu later is checked without being listed here. The axe check itself is
the one every browser test runs (tests/e2e/axe.py, hooked in conftest.py): this test makes sure it
reaches every page.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error, expect

from portal.demo import DEMO_PASSWORD, load_demo
from portal.extensions import db
from tests.e2e.test_accounts import PASSWORD, log_in

ROLES = {
    "visitor": None,
    "participant": "seller@demo.test",
    "partner-admin": "head@demo.test",
    "manager": "manager@demo.test",
    "admin": "admin@demo.test",
}
# Not pages: files, the scans and exports they download, and what ends the session.
NOT_PAGES = re.compile(r"/(static|bootstrap)/|\.(csv|xlsx|pdf|png|jpe?g)$|/(scan|download|export|logout)\b|/api/v1/")
WIDTHS = [(1280, 800), (640, 400)]  # a 1280 px laptop, and the same screen at 200 % zoom


@pytest.fixture
def demo(app, tmp_path):
    saved = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path)
    with app.app_context():
        load_demo()
        db.session.remove()
    yield
    app.config["UPLOAD_DIR"] = saved


def sign_in(page, base, email, lang, password=DEMO_PASSWORD):
    if email:
        log_in(page, base, email, password)
        expect(page.get_by_test_id("user-menu")).to_be_visible()
    else:
        page.goto(base)
    if page.get_by_test_id("language-current").inner_text().strip().lower() != lang:
        page.get_by_test_id("language-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def links(page, base, selector) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "els => els.map((a) => a.href.split('#')[0])")
    return [h for h in dict.fromkeys(hrefs) if h.startswith(base) and not NOT_PAGES.search(urlsplit(h).path)]


def open_page(page, url) -> bool:
    """Go to a page; False for a link that turns out to download a file."""
    try:
        response = page.goto(url)
    except Error as error:
        if "Download is starting" in str(error):
            return False
        raise
    assert response is not None and response.status < 400, f"{url}: {response and response.status}"
    return True


def shape(url: str) -> str:
    """/claims/12?page=2 and /claims/7 are one kind of page."""
    return re.sub(r"\d+", "N", urlsplit(url).path)


def crawl(page, base, deep: bool) -> tuple[list[str], list[str]]:
    """Every page of the signed-in menu; with `deep`, also one detail page behind each and the menu pages'
    widths at 1280 px and at 200 % zoom. The pages visited, and those that scroll sideways."""
    menu = links(page, base, "nav.navbar a[href], footer a[href]")
    assert len(menu) >= 2
    visited, overflowing, shapes = [], [], set()
    for url in [page.url, *menu]:
        if not open_page(page, url):
            continue
        visited.append(page.url)  # where a redirect led
        shapes.add(shape(url))
        for width, height in WIDTHS if deep else []:
            page.set_viewport_size({"width": width, "height": height})
            # Measured once the page has laid itself out again: charts resize on the frames after a resize.
            scroll, client = page.evaluate(
                "() => new Promise(done => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() =>"
                " done([document.documentElement.scrollWidth, document.documentElement.clientWidth]))), 200))")
            if scroll > client:
                overflowing.append(f"{urlsplit(url).path} at {width}x{height}: {scroll} > {client} px")
        page.set_viewport_size({"width": 1366, "height": 900})
        # One detail page behind each list (a claim, a company, a contest...).
        for detail in links(page, base, "main a[href]") if deep else []:
            if shape(detail) not in shapes and detail not in menu:
                shapes.add(shape(detail))
                if open_page(page, detail):
                    visited.append(page.url)
                break
    return visited, overflowing


def test_every_page_of_every_role_passes_axe_in_both_languages_and_reflows(demo, live_server, new_page, axe_watch):
    """One demo for all roles (loading it is the slow part). axe checks each page through the conftest hook.
    Russian, the default and the longer language, also goes one level deeper and checks the widths
    (WCAG 1.4.10: tables scroll inside their box); English checks every menu page."""
    overflowing, visited = [], set()
    for role, email in ROLES.items():
        for lang in ("ru", "en"):
            page = new_page()
            sign_in(page, live_server, email, lang)
            pages, wide = crawl(page, live_server, deep=lang == "ru")
            axe_watch.finish([page.context])
            page.context.close()
            visited.update(pages)
            overflowing += [f"{role}: {line}" for line in wide]
    assert len(visited) > 40
    assert visited <= axe_watch.urls, f"axe did not check {sorted(visited - axe_watch.urls)}"
    assert not overflowing, "pages scroll sideways:\n" + "\n".join(overflowing)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_staff_menu_fits_a_1280_px_screen_on_one_row(lang, live_server, page, make, shot):
    make.user(role="manager", email="manager@example.test", full_name="Белов Кирилл Андреевич")
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, "manager@example.test", lang, password=PASSWORD)
    nav = page.locator("nav.navbar")
    expect(page.get_by_test_id("user-menu")).to_be_visible()
    assert nav.bounding_box()["height"] < 70, "the menu wrapped onto a second row"
    shot(page, f"menu-1280-{lang}")
    page.set_viewport_size({"width": 1366, "height": 768})
    assert nav.bounding_box()["height"] < 70
    shot(page, f"menu-1366-{lang}")


def test_keyboard_skip_link_menus_and_escape(live_server, page, make):
    make.user(role="manager", email="manager@example.test", full_name="Белов Кирилл Андреевич")
    sign_in(page, live_server, "manager@example.test", "ru", password=PASSWORD)
    page.goto(f"{live_server}/home")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Перейти к содержанию")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # A menu group opens from the keyboard, shows where focus is, and Escape closes it, focus back on its button.
    group = page.get_by_role("button", name="Партнёры")
    page.get_by_role("link", name="Главная").focus()
    for _ in range(10):  # Tab along the menu, as a keyboard user does
        if group.evaluate("(el) => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(group).to_be_focused()
    outline = group.evaluate("(el) => getComputedStyle(el).outlineStyle")
    assert outline != "none", "no visible focus on the menu button"
    page.keyboard.press("Enter")
    menu = page.locator("[data-testid=nav-group-partners] .dropdown-menu")
    expect(menu).to_be_visible()
    page.keyboard.press("ArrowDown")
    first = menu.get_by_role("link").first
    expect(first).to_be_focused()
    assert first.evaluate("(el) => getComputedStyle(el).outlineStyle") != "none"
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(group).to_be_focused()

    user = page.get_by_test_id("user-menu")
    user.focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name="Мой профиль")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name="Мой профиль")).to_be_hidden()
    expect(user).to_be_focused()

    # At 200 % zoom the menu collapses behind a button that opens and closes from the keyboard too.
    page.set_viewport_size({"width": 640, "height": 400})
    toggler = page.get_by_role("button", name="Меню")
    toggler.focus()
    page.keyboard.press("Enter")
    expect(group).to_be_visible()
    expect(page.locator("#mainnav.collapse.show")).to_be_visible()  # opened, not still opening
    page.keyboard.press("Enter")
    expect(group).to_be_hidden()
