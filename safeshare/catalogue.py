"""The topic catalogue (catalogue/topics.yml, a copy of the contract) and its button titles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import yaml

from safeshare.settings import PROJECT_ROOT

CATALOGUE = PROJECT_ROOT / "catalogue"
CONVERSATION = (
    "greet",
    "goodbye",
    "thank",
    "bot_challenge",
    "help",
    "human_handoff",
    "out_of_scope",
    "forget_my_data",
)


@dataclass(frozen=True)
class Topic:
    id: str
    kind: str
    title_en: str
    title_zh: str

    def title(self, language: str) -> str:
        return self.title_zh if language == "zh" else self.title_en


@lru_cache(maxsize=1)
def topics() -> dict[str, Topic]:
    spec = yaml.safe_load((CATALOGUE / "topics.yml").read_text(encoding="utf-8"))
    titles = yaml.safe_load((CATALOGUE / "titles.yml").read_text(encoding="utf-8"))
    out: dict[str, Topic] = {}
    for item in spec["topics"]:
        title = titles.get(item["id"], {})
        out[item["id"]] = Topic(
            id=item["id"],
            kind=item.get("kind", "answer"),
            title_en=title.get("en", item["id"]),
            title_zh=title.get("zh", item["id"]),
        )
    return out


def answer_topics() -> list[str]:
    """Topics that are questions with answers (not conversation plumbing)."""
    return [t for t in topics() if t not in CONVERSATION]


def is_answer_topic(name: str | None) -> bool:
    return bool(name) and name in topics() and name not in CONVERSATION
