"""Opening a dropdown of the main menu in a browser test."""


def open_menu(page, name: str) -> None:
    """Click the menu button `name` once Bootstrap's script has run: under the parallel suite's load a test can
    click the button before bootstrap.js has loaded, and the dropdown then never opens."""
    page.wait_for_function("() => window.bootstrap !== undefined")
    page.get_by_role("button", name=name).click()
