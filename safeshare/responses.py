"""Read the assistant's own responses (data/responses/*.yml) outside Rasa.

The Telegram relay and the staff console say a few things themselves (a photo was refused, a staff
answer arrives); they use the same bilingual texts as the assistant instead of strings in Python.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from safeshare.settings import PROJECT_ROOT

RESPONSES = PROJECT_ROOT / "data" / "responses"


@lru_cache(maxsize=1)
def all_responses() -> dict[str, list[dict[str, Any]]]:
    merged: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(Path(RESPONSES).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        merged.update(data.get("responses") or {})
    return merged


def variation(name: str, language: str) -> dict[str, Any]:
    """The variation of a response for a language: the zh-conditioned one, else the default."""
    variations = all_responses()[name]
    default = next(v for v in variations if not v.get("condition"))
    if language == "zh":
        for item in variations:
            for condition in item.get("condition") or []:
                if condition.get("name") == "language" and condition.get("value") == "zh":
                    return item
    return default


def text(name: str, language: str, **values: Any) -> str:
    template = str(variation(name, language).get("text", ""))
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template
