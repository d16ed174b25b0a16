"""Staff-accepted training examples as Rasa NLU YAML, ready to merge into data/nlu/.

The file is what Rasa reads (`version: "3.1"`, one `- intent:` block per topic with its examples
as `- text` lines). Examples already in the project's training data, and repeats, are left out,
so merging never adds duplicates (Rasa warns about those, and contradicting ones hurt training).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import yaml

from safeshare.settings import PROJECT_ROOT

NLU_DATA = PROJECT_ROOT / "data" / "nlu"
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff]")


def normalise(text: str) -> str:
    """One line, single spaces: an example is one `- text` line in a YAML block."""
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


def existing_examples(root: Path = NLU_DATA) -> dict[str, set[str]]:
    """Examples per intent already in the project's NLU files (normalised, lower-cased)."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            intent = block.get("intent")
            if not intent or not isinstance(block.get("examples"), str):
                continue
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    found.setdefault(intent, set()).add(normalise(line[2:]).lower())
    return found


def nlu_yaml(
    examples: Iterable[tuple[str, str]],
    known: dict[str, set[str]] | None = None,
    generated_at: datetime | None = None,
) -> tuple[str, int]:
    """(YAML text, number of examples in it) for (intent, text) pairs, grouped by intent."""
    known = known if known is not None else existing_examples()
    grouped: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for intent, text in examples:
        line = normalise(text)
        key = (intent, line.lower())
        if not line or key in seen or line.lower() in known.get(intent, set()):
            continue
        seen.add(key)
        grouped.setdefault(intent, []).append(line)
    count = sum(len(lines) for lines in grouped.values())
    out = [
        "# Training examples accepted by SafeShare staff in the console"
        + (f" (exported {generated_at:%Y-%m-%d %H:%M} UTC)" if generated_at else "")
        + ".",
        "# Merge into data/nlu/<language>/<intent>.yml, then retrain (make train).",
        'version: "3.1"',
    ]
    if not grouped:
        out.append("nlu: []")
        return "\n".join(out) + "\n", 0
    out.append("nlu:")
    for intent in sorted(grouped):
        out.append(f"- intent: {intent}")
        out.append("  examples: |")
        out.extend(f"    - {line}" for line in grouped[intent])
    return "\n".join(out) + "\n", count
