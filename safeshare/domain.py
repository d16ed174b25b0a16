"""What the Rasa domain (domain.yml) declares, for the Python code that needs the same facts: the
values of a categorical slot (the platforms), the slots each form asks for. domain.yml is their
one home, since Rasa reads them there; it is read once, on first use.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from safeshare.settings import PROJECT_ROOT

DOMAIN = PROJECT_ROOT / "domain.yml"


@lru_cache(maxsize=1)
def domain() -> dict[str, Any]:
    return yaml.safe_load(DOMAIN.read_text(encoding="utf-8")) or {}


def slot_values(slot: str) -> tuple[str, ...]:
    """The values of a categorical slot, in the domain's order."""
    return tuple(str(value) for value in domain()["slots"][slot]["values"])


def form_slots(form: str | None = None) -> tuple[str, ...]:
    """The slots one form asks for, or (no form named) every form's, in order, each once."""
    forms = domain()["forms"]
    names = [form] if form else list(forms)
    out: list[str] = []
    for name in names:
        for slot in forms[name]["required_slots"]:
            if slot not in out:
                out.append(slot)
    return tuple(out)
