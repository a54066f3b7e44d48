"""GB 32100-2015 check characters, against codes published by their holders."""

import pytest
from pydantic import BaseModel, ValidationError

from domain.credit_code import CHARSET, CreditCode, check_digit, is_valid, make_code

REAL = [
    "91350100M000100Y43",  # the example the standard's explanations cite
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "914403001922038216",  # 华为技术有限公司
    "91330100799655058B",  # 阿里巴巴(中国)有限公司
]


class Holder(BaseModel):
    code: CreditCode


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code: str) -> None:
    assert is_valid(code)
    assert check_digit(code[:17]) == code[17]
    assert Holder(code=code.lower()).code == code


@pytest.mark.parametrize("code", REAL)
def test_every_other_check_character_is_wrong(code: str) -> None:
    for c in CHARSET.replace(code[17], ""):
        assert not is_valid(code[:17] + c)


def test_a_wrong_check_character_names_the_right_one() -> None:
    with pytest.raises(ValidationError) as err:
        Holder(code="91350100M000100Y44")
    assert "统一社会信用代码校验位错误 (GB 32100): expected 3" in str(err.value)


def test_a_changed_body_character_is_caught() -> None:
    assert not is_valid("91350100M000101Y43")


@pytest.mark.parametrize("bad", ["91350100M000100Y4", "91350100M000100Y433",
                                 "91350100M000I00Y43", "91350100M000100YO3", ""])
def test_wrong_length_or_characters(bad: str) -> None:
    assert not is_valid(bad)
    with pytest.raises(ValidationError):
        Holder(code=bad)


def test_remainder_zero_is_written_0() -> None:
    # Some body has a weighted sum divisible by 31: its check character is '0', not a 32nd.
    for n in range(10_000):
        body = f"91500104{n:09d}"
        if check_digit(body) == "0":
            assert is_valid(body + "0")
            return
    raise AssertionError("no body with check character 0 found")


def test_make_code_builds_valid_codes() -> None:
    code = make_code("91500104ma5u12345")
    assert code.startswith("91500104MA5U12345") and len(code) == 18 and is_valid(code)
    with pytest.raises(ValueError):
        make_code("91500104MA5U1234")
