"""Masking of ID, phone and card numbers in free text and fields (lib.masking)."""

import pytest

from lib import masking
from lib.masking import mask_card, mask_id_number, mask_phone, mask_text


@pytest.mark.parametrize("text, hidden, shown", [
    ("身份证310101199001011234", "19900101", "310"),
    ("ID 11010119900101123X.", "19900101", "123X"),
    ("旧证110101900101123号", "0101", "1123"),
    ("电话13800138000", "0013", "8000"),
    ("电话 138-0013-8000", "0013", "8000"),
    ("+86 139 1234 5678", "1234 5678", "5678"),
    ("卡号6222021234567890", "02123456", "7890"),
    ("卡号 6222 0212 3456 7890", "0212 3456", "7890"),
    ("卡号 6222-0212-3456-7890", "0212-3456", "7890"),
    # 19-digit cards grouped 4-4-4-4-3: every digit but the first and last four hidden
    ("卡号 6222 0212 3456 7890 123 请核实", "7890 123", "0123"),
    ("卡号6222021234567890123", "123456789", "0123"),
    ("卡号 622202 1234567890123", "1234567890", "0123"),
])
def test_mask_text_hides_identifiers(text, hidden, shown):
    out = mask_text(text)
    assert hidden not in out
    assert shown in out
    assert "*" in out


@pytest.mark.parametrize("text", ["金额1000元", "订单20261122号", "工号A0001", "时间 2026-11-22 10:00", "", None])
def test_mask_text_leaves_ordinary_numbers(text):
    assert mask_text(text) == text


def test_field_maskers():
    assert mask_id_number("310101199001011234") == "310***********1234"
    assert mask_phone("138-0013-8000") == "138****8000"
    assert mask_card("6222 0212 3456 7890 123") == "6222***********0123"
    assert mask_card("123") == "***"
    assert mask_id_number(None) is None


def test_several_identifiers_in_one_narrative():
    text = "客户张三（身份证310101199001011234，电话13800138000）称卡号6222 0212 3456 7890 123被盗刷。"
    out = mask_text(text)
    for secret in ("199001011234", "00138000", "0212 3456"):
        assert secret not in out
    assert out.startswith("客户张三（身份证310")


def test_unmasked_roles_are_policy():
    from lib.policy import UNMASKED_ROLES

    assert UNMASKED_ROLES == frozenset({"complaint_handler", "admin"})
    assert masking.mask_text("13800138000") != "13800138000"
