import pytest

from portal.core.phones import format_phone, normalize_phone


@pytest.mark.parametrize(
    "typed",
    [
        "+7 (999) 123-45-67",
        "+79991234567",
        "89991234567",
        "8 (999) 123 45 67",
        "9991234567",
        "7 999 123 45 67",
        "+7-999-123-45-67",
    ],
)
def test_russian_ways_of_typing_a_mobile_number(typed):
    assert normalize_phone(typed) == "+79991234567"


def test_landline_number_is_accepted():
    assert normalize_phone("+7 (495) 123-45-67") == "+74951234567"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        None,
        "12345",
        "+7 999 123 45",  # too short
        "+7 (999) 123-45-678",  # too long
        "+44 20 7946 0958",  # a UK number
        "+380 44 123 4567",  # Ukraine
        "phone",
    ],
)
def test_invalid_numbers(typed):
    assert normalize_phone(typed) is None


def test_format_shows_the_russian_mask():
    assert format_phone("+79991234567") == "+7 (999) 123-45-67"
    assert format_phone(None) == ""
