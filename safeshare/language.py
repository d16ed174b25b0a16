"""Which language to answer in: the user's explicit choice, else the language of their messages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from safeshare.text import has_chinese

SUPPORTED = ("en", "zh")
DEFAULT = "en"

_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def detect(text: str) -> str | None:
    """`zh` if the text has Chinese characters, `en` if it has two or more English words.

    Anything else (emoji, numbers, a lone "ok", a button payload) returns None, so one short
    reply does not flip the language of a conversation.
    """
    if not text or text.startswith("/"):
        return None
    if has_chinese(text):
        return "zh"
    if len(_LATIN_WORD.findall(text)) >= 2:
        return "en"
    return None


def effective(slots: Mapping[str, Any]) -> str:
    """The reply language for a conversation: `language_pref` (chosen) wins over `language` (seen)."""
    for name in ("language_pref", "language"):
        value = slots.get(name)
        if value in SUPPORTED:
            return str(value)
    return DEFAULT
