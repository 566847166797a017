"""Russian taxpayer numbers (INN): 10 digits for organisations, 12 for individuals."""

_WEIGHTS_10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check_digit(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def normalize_inn(value: str | None) -> str:
    """Strip spaces and dashes people type; keep only what may be an INN."""
    return "".join(ch for ch in (value or "") if not ch.isspace() and ch != "-")


def is_valid_inn(value: str | None) -> bool:
    inn = normalize_inn(value)
    if not inn.isascii() or not inn.isdigit():
        return False
    digits = [int(ch) for ch in inn]
    if len(digits) == 10:
        return _check_digit(digits, _WEIGHTS_10) == digits[9]
    if len(digits) == 12:
        return (
            _check_digit(digits, _WEIGHTS_11) == digits[10]
            and _check_digit(digits, _WEIGHTS_12) == digits[11]
        )
    return False


def make_personal_inn(prefix: str) -> str:
    """Complete a 10-digit prefix into a valid 12-digit personal INN (used by the demo and tests)."""
    digits = [int(ch) for ch in prefix]
    if len(digits) != 10:
        raise ValueError("prefix must have 10 digits")
    eleventh = _check_digit(digits, _WEIGHTS_11)
    twelfth = _check_digit([*digits, eleventh], _WEIGHTS_12)
    return f"{prefix}{eleventh}{twelfth}"


def make_inn(prefix: str) -> str:
    """Complete a 9-digit prefix into a valid 10-digit INN (used by the demo and tests)."""
    digits = [int(ch) for ch in prefix]
    if len(digits) != 9:
        raise ValueError("prefix must have 9 digits")
    return prefix + str(_check_digit(digits, _WEIGHTS_10))
