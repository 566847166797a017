import pytest

from portal.core.inn import is_valid_inn, make_inn, normalize_inn


@pytest.mark.parametrize(
    "inn",
    [
        "7707083893",  # Sberbank
        "7736207543",  # Yandex
        "500100732259",  # a real-form 12-digit personal INN
        "7707 083 893",  # spaces people type
        "7707-083-893",
    ],
)
def test_valid_inn(inn):
    assert is_valid_inn(inn)


@pytest.mark.parametrize(
    "inn",
    [
        "7707083894",  # wrong check digit
        "500100732258",  # wrong 12th digit
        "500100732249",  # wrong 11th digit
        "770708389",  # 9 digits
        "77070838931",  # 11 digits
        "7707O83893",  # a letter O instead of zero
        "٧٧٠٧٠٨٣٨٩٣",  # non-ASCII digits
        "",
        None,
    ],
)
def test_invalid_inn(inn):
    assert not is_valid_inn(inn)


def test_make_inn_completes_a_valid_number():
    inn = make_inn("770708389")
    assert inn == "7707083893"
    assert is_valid_inn(inn)


def test_normalize_inn_strips_separators():
    assert normalize_inn(" 7707-083 893 ") == "7707083893"
