"""The widget confirms staff answers by their reference: its pattern (widget/src/widget.js) must be
the one safeshare/identity.py makes references with, or a confirmation would be dropped (a stricter
widget) or refused by Rasa's channel (a looser one)."""

from __future__ import annotations

import re

from safeshare import identity
from safeshare.settings import PROJECT_ROOT

SOURCE = PROJECT_ROOT / "widget" / "src" / "widget.js"
DIST = PROJECT_ROOT / "widget" / "dist" / "safeshare-widget.js"


def test_the_widgets_reference_pattern_is_pythons() -> None:
    source = SOURCE.read_text(encoding="utf-8")
    [pattern] = re.findall(r"^\s*var REFERENCE = /(.*)/;$", source, re.M)
    assert pattern == f"^{identity.REFERENCE_PATTERN}$"
    # Written once: every other test of a reference in the widget goes through REFERENCE.
    assert source.count("SS-") == 1
    # The shipped file carries the same pattern (it is built from the source: test_widget_build).
    assert f"/{pattern}/" in DIST.read_text(encoding="utf-8")


def test_the_pattern_accepts_what_python_makes_and_nothing_else() -> None:
    source = SOURCE.read_text(encoding="utf-8")
    [pattern] = re.findall(r"^\s*var REFERENCE = /(.*)/;$", source, re.M)
    widget = re.compile(pattern)  # the same syntax in JavaScript and Python
    for _ in range(100):
        assert widget.match(identity.new_reference())
    for value in ("SS-7K3Q9", "ss-7k3q9", "SS-7K3Q", "SS-7K3Q99", "SS-0O1I5", "XSS-7K3Q9"):
        assert bool(widget.match(value)) == identity.is_reference(value), value
