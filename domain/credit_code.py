"""The unified social credit code (统一社会信用代码) of GB 32100-2015: 18 characters, the last a
check character over the first 17.

Layout: 1 登记管理部门, 2 机构类别, 3-8 登记管理机关行政区划码, 9-17 主体标识码 (组织机构代码),
18 校验码. Only the check character is verified here: the registries own the rest.
"""

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, StringConstraints

# 31 characters: the digits and the capitals without I, O, Z, S, V (mistaken for 1, 0, 2, 5, U).
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3**i mod 31
LENGTH = 18
PATTERN = f"^[{CHARSET}]{{{LENGTH}}}$"
_VALUE = {c: i for i, c in enumerate(CHARSET)}


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 (uppercase)."""
    if len(first17) != LENGTH - 1:
        raise ValueError(f"the check character needs 17 characters, got {len(first17)}")
    try:
        total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    except KeyError as err:
        raise ValueError(f"character {err.args[0]!r} is not allowed in a credit code") from None
    return CHARSET[(31 - total % 31) % 31]  # a remainder of 0 gives 31, written '0'


def is_valid(code: str) -> bool:
    code = code.upper()
    if len(code) != LENGTH or any(c not in _VALUE for c in code):
        return False
    return check_digit(code[:-1]) == code[-1]


def make_code(first17: str) -> str:
    """A valid code from its first 17 characters (seed data, tests)."""
    first17 = first17.upper()
    return first17 + check_digit(first17)


def _checked(code: str) -> str:
    expected = check_digit(code[:-1])
    if code[-1] != expected:
        raise ValueError(f"统一社会信用代码校验位错误 (GB 32100): expected {expected}")
    return code


def _normalise(value: object) -> object:
    # People type codes in lower case and with stray spaces; the registry's form is upper case.
    return value.strip().upper() if isinstance(value, str) else value


# A before-validator wraps what precedes it: normalised first, then the str constraints, then
# the check character.
CreditCode = Annotated[
    str,
    StringConstraints(min_length=LENGTH, max_length=LENGTH, pattern=PATTERN),
    BeforeValidator(_normalise),
    AfterValidator(_checked),
]
