"""The widget marks Chinese text (its `lang` attribute) with the same characters as the Python side
(safeshare/text.py), Extension B included."""

import re

from safeshare import text
from safeshare.settings import PROJECT_ROOT


def _js_class_to_python(js: str) -> str:
    return re.sub(r"\\u\{?([0-9a-fA-F]{4,5})\}?", lambda m: chr(int(m.group(1), 16)), js)


def test_widget_chinese_characters_are_safeshare_texts():
    source = (PROJECT_ROOT / "widget" / "src" / "widget.js").read_text(encoding="utf-8")
    [ranges] = re.findall(r"^\s*var CJK = /\[(.*)\]/u;$", source, re.M)
    assert _js_class_to_python(ranges) == text.HAN
