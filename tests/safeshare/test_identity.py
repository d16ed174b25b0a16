"""References and sender keys (safeshare/identity.py)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from safeshare import identity


def test_reference_format() -> None:
    for _ in range(50):
        ref = identity.new_reference()
        assert len(ref) == 8 and ref.startswith("SS-")
        assert not set(ref[3:]) & set("01IO")
        assert identity.is_reference(ref)


def test_pattern_is_the_alphabet() -> None:
    assert identity.REFERENCE_PATTERN == "SS-[2-9A-HJ-NP-Z]{5}"
    allowed = {c for c in map(chr, range(128)) if identity.is_reference("SS-" + c * 5)}
    assert allowed == set(identity.REFERENCE_ALPHABET)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("status SS-7K3Q9", "SS-7K3Q9"),
        ("status ss-7k3q9 please", "SS-7K3Q9"),
        ("(SS-7K3Q9)", "SS-7K3Q9"),
        ("status SS-7K3Q", None),
        ("status SS-7K3Q9X", None),  # not a whole word
        ("status SS-0O1I2", None),  # look-alikes are never in a reference
        ("status XSS-7K3Q9", None),
    ],
)
def test_find_reference(text: str, found: str | None) -> None:
    assert identity.find_reference(text) == found


def test_is_reference_is_exact() -> None:
    assert identity.is_reference("SS-7K3Q9")
    for value in ("ss-7k3q9", " SS-7K3Q9", "SS-7K3Q9 ", "SS-7K3Q9\n", "SS-7K3Q", "SS-7K3Q99"):
        assert not identity.is_reference(value), value


def test_sender_key_is_an_hmac_of_the_sender_with_the_secret() -> None:
    key = identity.sender_key("tg-123")
    assert key == identity.sender_key("tg-123") != identity.sender_key("tg-124")
    assert len(key) == 32 and "123" not in key
    expected = hmac.new(b"another secret", b"tg-123", hashlib.sha256).hexdigest()[:32]
    assert identity.sender_key("tg-123", "another secret") == expected != key
