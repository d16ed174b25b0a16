"""Which characters are Chinese: the one definition the tokenizer, the spaCy pipeline, language
detection and the crisis lexicon share.

Hong Kong writing uses characters outside the Basic block: Cantonese words such as 𠝹 (to cut)
and 𡃁 are in CJK Extension B (U+20000 and up). A message written with them must be tokenised as
Chinese and answered in Chinese; when the ranges lived in four modules they disagreed on exactly
that. Kana are counted too: a Japanese word in a message is not English.
"""

from __future__ import annotations

import re

# Ideographs: Extension A, the Unified block, Compatibility Ideographs, Extensions B to F and the
# supplementary compatibility block (U+20000-U+2FFFF).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
KANA = "\u3040-\u30ff"
# CJK punctuation and full-width forms: split off like Chinese characters, but not Chinese text.
CJK_PUNCTUATION = "\u3000-\u303f\uff01-\uff60"

HAN_RUN = re.compile(f"[{HAN}]+")
CHINESE_CHAR = re.compile(f"[{HAN}{KANA}]")


def has_chinese(text: str) -> bool:
    return CHINESE_CHAR.search(text) is not None
