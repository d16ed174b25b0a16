"""Replace personal identifiers with typed placeholders before anything is stored.

Covers Hong Kong identity card numbers (check digit validated, or in the distinctive bracket
form), Hong Kong phone numbers (8 digits, optional +852, spaces or dashes), email addresses,
payment card numbers (Luhn-valid) and other long digit runs (account or document numbers).
Full-width characters, common in Chinese input, are matched as their ASCII equivalents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# Full-width ASCII (U+FF01..U+FF5E) maps 1:1 to ASCII, so match positions stay valid.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_HKID = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,2})\s?(\d{6})\s?(\(\s?[0-9Aa]\s?\)|[0-9Aa])(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
_PHONE = re.compile(r"(?<![A-Za-z0-9+])(?:\+?\s?852[\s-]?)?[2-9]\d{3}[\s-]?\d{4}(?![A-Za-z0-9])")
_LONG_NUMBER = re.compile(r"(?<![\d+])\+?\d(?:[ -]?\d){8,}(?![\d])")


def hkid_check_digit(prefix: str, digits: str) -> str:
    """The check digit of an HKID: weights 9..2, letters A=10..Z=35, a missing letter counts 36."""
    prefix = prefix.upper()
    values = [36] if len(prefix) == 1 else []
    values += [ord(ch) - 55 for ch in prefix]
    values += [int(d) for d in digits]
    total = sum(value * weight for value, weight in zip(values, range(9, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def is_valid_hkid(text: str) -> bool:
    match = _HKID.fullmatch(text.strip().translate(_FULLWIDTH))
    if not match:
        return False
    prefix, digits, check = match.groups()
    return hkid_check_digit(prefix, digits) == check.strip("() ").upper()


def luhn_valid(number: str) -> bool:
    digits = [int(ch) for ch in number if ch.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _hkid_placeholder(match: re.Match[str]) -> str | None:
    prefix, digits, check = match.groups()
    bracketed = check.startswith("(")
    valid = hkid_check_digit(prefix, digits) == check.strip("() ").upper()
    return "[HKID]" if valid or bracketed else None


def _card_placeholder(match: re.Match[str]) -> str | None:
    return "[CARD]" if luhn_valid(match.group(0)) else None


def _long_number_placeholder(match: re.Match[str]) -> str | None:
    # A phone number written with its country code is long too: keep its type.
    return "[PHONE]" if _PHONE.fullmatch(match.group(0)) else "[NUMBER]"


_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]]] = [
    (_EMAIL, lambda _m: "[EMAIL]"),
    (_HKID, _hkid_placeholder),
    (_CARD, _card_placeholder),
    (_LONG_NUMBER, _long_number_placeholder),
    (_PHONE, lambda _m: "[PHONE]"),
]


def redact(text: str) -> str:
    """Return `text` with identifiers replaced by `[EMAIL]`, `[HKID]`, `[CARD]`, `[PHONE]`, `[NUMBER]`."""
    if not text:
        return text
    for pattern, placeholder in _RULES:
        probe = text.translate(_FULLWIDTH)
        pieces: list[str] = []
        last = 0
        for match in pattern.finditer(probe):
            replacement = placeholder(match)
            if replacement is None:
                continue
            pieces.append(text[last : match.start()])
            pieces.append(replacement)
            last = match.end()
        if pieces:
            pieces.append(text[last:])
            text = "".join(pieces)
    return text


def contains_identifier(text: str) -> bool:
    return redact(text) != text


def redact_value(value: Any) -> Any:
    """Redact every string inside a JSON-like value (dicts, lists, strings)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    return value
