import pytest

from safeshare.redaction import (
    contains_identifier,
    hkid_check_digit,
    is_valid_hkid,
    luhn_valid,
    redact,
)


@pytest.mark.parametrize(
    ("prefix", "digits", "check"),
    [("A", "123456", "3"), ("Z", "683365", "A"), ("AB", "987654", "3"), ("G", "123456", "A")],
)
def test_hkid_check_digit(prefix, digits, check):
    assert hkid_check_digit(prefix, digits) == check


def test_valid_and_invalid_hkid():
    assert is_valid_hkid("A123456(3)")
    assert is_valid_hkid("a1234563")
    assert not is_valid_hkid("A123456(4)")


@pytest.mark.parametrize(
    "text",
    [
        "my hkid is A123456(3) please",
        "HKID: A1234563.",
        "身份證號碼係Z683365(5)",
        "id A123456(9) typed wrong",  # bracket form is redacted even with a wrong check digit
        "ＨＫＩＤ Ａ１２３４５６（３）",  # full-width input
    ],
)
def test_hkid_redacted(text):
    assert "[HKID]" in redact(text)
    assert "123456" not in redact(text)


def test_unbracketed_invalid_hkid_like_code_is_kept():
    assert redact("product code A1234567 in stock") == "product code A1234567 in stock"


@pytest.mark.parametrize(
    "text",
    [
        "call 9123 4567",
        "call 91234567 now",
        "+852 9123-4567",
        "852 2827 2827",
        "+85291234567",
        "我電話係６１２３４５６７，唔該",
        "whatsapp me:51234567",
    ],
)
def test_phone_redacted(text):
    out = redact(text)
    assert "[PHONE]" in out
    assert not any(ch.isdigit() for ch in out.replace("[PHONE]", "").replace("852", ""))


@pytest.mark.parametrize("text", ["call 999 now", "helpline 18222", "HK$200 million in 2024", "ref SS-7K3Q9"])
def test_short_numbers_and_references_kept(text):
    assert redact(text) == text


def test_email_redacted_in_both_languages():
    assert redact("mail me at chan.tai-man+hk@example.com.hk") == "mail me at [EMAIL]"
    assert redact("我email係abc123@gmail.com唔該") == "我email係[EMAIL]唔該"


def test_card_numbers_need_luhn():
    assert luhn_valid("4111 1111 1111 1111")
    assert redact("card 4111 1111 1111 1111 expired") == "card [CARD] expired"
    assert "[CARD]" not in redact("order 1234 5678 9012 3456")
    assert "[NUMBER]" in redact("order 1234 5678 9012 3456")


def test_long_account_numbers():
    assert redact("acct 012-345678-901") == "acct [NUMBER]"


def test_uuid_like_ids_untouched():
    text = "session a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
    assert redact(text) == text


def test_contains_identifier():
    assert contains_identifier("reach me on 98765432")
    assert not contains_identifier("what is a deepfake?")
