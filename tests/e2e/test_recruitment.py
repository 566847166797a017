"""A manager starts a recruitment campaign (issue #25): uploads the companies, sees each row's fate in the preview,
confirms, and reads the campaign's funnel; in Russian and in English."""

import pytest
from playwright.sync_api import expect

from portal.core.inn import make_inn
from tests.e2e.test_accounts import log_in

WORDS = {
    "ru": {"menu": "Привлечение партнёров", "new": "Новая кампания", "errors": "Ничего не будет импортировано",
           "bad": "адрес broken@ неверен", "changes": "Пригласим: 2; не пригласим: 1.",
           "left_out": "тот же ИНН, что в строке 2", "created": "Кампания создана", "invited": "Приглашены"},
    "en": {"menu": "Recruitment", "new": "New campaign", "errors": "Nothing will be imported",
           "bad": "the e-mail broken@ is not valid", "changes": "To invite: 2; left out: 1.",
           "left_out": "the same INN as row 2", "created": "The campaign is created", "invited": "Invited"},
}


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_manager_uploads_the_companies_confirms_and_sees_the_funnel(live_server, page, make, shot, locale,
                                                                    tmp_path):
    words = WORDS[locale]
    make.user(role="manager", email="manager@example.test", full_name="Белов Кирилл", locale=locale)
    first, second = make_inn("780000011"), make_inn("780000022")
    header = "ИНН;Компания;Регион;Контакт;Email\n"
    (tmp_path / "bad.csv").write_text(header + f"{first};ООО «Нева»;Санкт-Петербург;Ольга;broken@\n",
                                      encoding="utf-8")
    (tmp_path / "list.csv").write_text(
        header + f"{first};ООО «Нева»;Санкт-Петербург;Ольга;olga@example.test\n"
        f"{first};ООО «Нева»;Санкт-Петербург;Ольга;olga@example.test\n"
        f"{second};ООО «Волга»;Самара;Павел;pavel@example.test\n", encoding="utf-8")

    log_in(page, live_server, "manager@example.test")
    page.goto(f"{live_server}/console/recruitment")
    page.get_by_test_id("new-campaign").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.locator("#name").fill("Осень")
    page.locator("#file").set_input_files(str(tmp_path / "bad.csv"))
    page.get_by_test_id("check-file").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text(words["errors"])
    expect(page.get_by_test_id("import-report")).to_contain_text(words["bad"])
    expect(page.get_by_test_id("confirm-import")).to_have_count(0)

    page.locator("#file").set_input_files(str(tmp_path / "list.csv"))
    page.get_by_test_id("check-file").click()
    expect(page.get_by_test_id("import-changes")).to_contain_text(words["changes"])
    expect(page.get_by_test_id("import-report")).to_contain_text(words["left_out"])
    shot(page, f"recruitment-preview-{locale}")
    page.get_by_test_id("confirm-import").click()
    expect(page.locator(".alert-success")).to_contain_text(words["created"])
    funnel = page.get_by_test_id("funnel")
    expect(funnel).to_contain_text(words["invited"])
    expect(page.get_by_test_id("count-invited")).to_have_text("0")  # the sending job mails them, at its rate
    page.locator("tr[data-step='invited'] a").click()
    expect(page.get_by_test_id("stuck")).to_contain_text("olga@example.test")
    expect(page.get_by_test_id("stuck")).to_contain_text("pavel@example.test")
    shot(page, f"recruitment-funnel-{locale}")
    page.goto(f"{live_server}/console/recruitment")
    expect(page.get_by_test_id("campaigns")).to_contain_text("Осень")
