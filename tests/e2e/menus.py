"""The main menu's dropdowns in a browser test.

Bootstrap's script is deferred: right after a navigation a test can reach a dropdown button before the script has
run, and under the parallel suite's load a click or a key press there is lost (the dropdown never opens). Every
test that opens a dropdown waits for the script first, through these helpers.
"""


def wait_for_menus(page) -> None:
    """Return once Bootstrap has run on the current page, so its dropdowns answer clicks and keys."""
    page.wait_for_load_state("domcontentloaded")
    page.wait_for_function("() => window.bootstrap !== undefined")


def open_menu(page, name: str) -> None:
    """Open the menu group whose button reads `name`."""
    wait_for_menus(page)
    page.get_by_role("button", name=name).click()


def open_user_menu(page) -> None:
    """Open the signed-in person's menu (profile, settings, sign out)."""
    wait_for_menus(page)
    page.get_by_test_id("user-menu").click()
