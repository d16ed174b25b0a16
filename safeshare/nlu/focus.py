"""Read a message the way a person would: the question at the end of a long story, and a short
clarification together with the message it clarifies.

The classifier sees a message as one bag of features. That fails in two common cases:

- **A long story.** Five sentences about who did what, and the question last ("what can I do?").
  The story's words outvote the question's, and the whole is often unsure or "out of scope".
  When the whole message is unsure, its sentences are read one by one as well (at most
  `MAX_PARTS`, question-bearing ones and the last first) and the most confident in-scope reading
  wins, if it is confident enough.
- **A clarification after a miss.** "it's me, I'm 22" or 「係我個仔」 or "instagram" means
  little alone; after a message that fell back, it completes that message. A short reply right
  after a miss is read together with the missed message, and that reading is used if it lands on
  a topic.
- **A clarification of a report.** The same "it's me, I'm 22" right after a message that started
  the report flow: alone it falls back ("did you mean...?", with topics that have nothing to do
  with a person being blackmailed) or even reads as "goodbye". When such a short reply is unsure,
  missed or small talk but names who or what the report is about (the gazetteer's `affected`,
  `content_kind` or `platform`), it is read with the report it clarifies, and that reading is
  kept if it is still the report (or the safety answer), however sure: the report was taken at
  its own confidence. "thanks" or "bye" (no such entity), a sure answer to the form ("my son",
  "instagram") and a sure new question are untouched.

`refine` is pure (it takes the parse function), so it is tested without a model;
`safeshare.rasa_ext.server` installs it into Rasa's message processor. Extra parses happen only for
unsure long messages and for replies after a miss: ordinary messages cost one parse, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Parse = Callable[[str], dict[str, Any]]

MISSES = frozenset({"out_of_scope", "nlu_fallback"})
# Intents that are answers to the dialogue rather than topics: never taken from a part alone.
NOT_TOPICS = frozenset(
    {
        "inform",
        "affirm",
        "deny",
        "stop",
        "more",
        "set_language",
        "check_status",
        "greet",
        "goodbye",
        "thank",
    }
)
MAX_PARTS = 3
LONG_MESSAGE = 140  # characters
SHORT_REPLY = 60  # characters
UNSURE_BELOW = 0.5  # the whole message's confidence under which its parts are read
PART_AT_LEAST = 0.6  # a part's confidence needed to replace the whole
CONTEXT_AT_LEAST = 0.5
# Intents of a message that starts a report, and the entities a clarification of it carries.
REPORTS = frozenset({"report_deepfake", "crisis_safety"})
REPORT_ENTITIES = frozenset({"affected", "content_kind", "platform"})

_SENTENCE_END = re.compile(r"(?<=[.!?。！？；;])\s*|\n+")
_QUESTION = re.compile(
    r"[?？]|(?:^|\s)(?:what|how|can|could|should|is|are|do|does|who|where|why|which|any)\b"
    r"|點|咩|邊|可唔可以|可否|如何|怎樣|是否|嗎|呢|點算|點做|有冇"
)


def top(parse: dict[str, Any]) -> tuple[str | None, float]:
    intent = parse.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def is_miss(parse: dict[str, Any]) -> bool:
    return top(parse)[0] in MISSES


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part and len(part.strip()) > 3]


def candidate_parts(text: str) -> list[str]:
    """Which parts of a long message to read alone: the last sentence, the last two together,
    then question-bearing sentences from the end."""
    parts = sentences(text)
    if len(parts) < 2:
        return []
    ordered = [parts[-1], " ".join(parts[-2:])]
    ordered += [part for part in reversed(parts[:-1]) if _QUESTION.search(part)]
    seen: list[str] = []
    for part in ordered:
        if part not in seen and part != text.strip():
            seen.append(part)
    return seen[:MAX_PARTS]


def _adopt(whole: dict[str, Any], reading: dict[str, Any], how: str) -> dict[str, Any]:
    """The whole message's parse with the intent (and ranking) of a better reading."""
    out = dict(whole)
    out["intent"] = dict(reading["intent"])
    out["intent_ranking"] = reading.get("intent_ranking", [])
    known = {(e.get("entity"), e.get("value")) for e in whole.get("entities", [])}
    extra = [
        {**e, "start": 0, "end": 0}
        for e in reading.get("entities", [])
        if (e.get("entity"), e.get("value")) not in known and e.get("entity") != "language"
    ]
    out["entities"] = [*whole.get("entities", []), *extra]
    out["focus"] = how
    return out


def refine(
    text: str,
    parsed: dict[str, Any],
    parse: Parse,
    previous_missed: str | None = None,
    previous_report: str | None = None,
) -> dict[str, Any]:
    """A better parse of `text` than `parsed`, or `parsed` itself.

    `previous_missed`: the user's previous message if it fell back or was out of scope;
    `previous_report`: the user's previous message if it started a report (`REPORTS`)."""
    if not text or text.startswith("/"):
        return parsed
    name, confidence = top(parsed)
    if (
        previous_report
        and len(text) <= SHORT_REPLY
        and (name in MISSES or name in NOT_TOPICS or confidence < UNSURE_BELOW)
        and any(e.get("entity") in REPORT_ENTITIES for e in parsed.get("entities", []))
    ):
        together = parse(f"{previous_report}\n{text}")
        # the report was taken at its own confidence; read together, it only has to stay the
        # report (a reading below the fallback's threshold would have come back as nlu_fallback)
        if top(together)[0] in REPORTS:
            return _adopt(parsed, together, "context")
    # A confident short answer ("yes", "no", "instagram") stands as it is, except right after a
    # report, where one that names who or what it is about ("it's me, I'm 22", 「係我個仔」,
    # "yes it's sexual") clarifies the report and was read with it above.
    if name in NOT_TOPICS - {"greet", "goodbye", "thank"} and confidence >= UNSURE_BELOW:
        return parsed
    if (
        previous_missed
        and len(text) <= SHORT_REPLY
        and (name in MISSES or name in NOT_TOPICS or confidence < UNSURE_BELOW)
    ):
        together = parse(f"{previous_missed}\n{text}")
        joined_name, joined_confidence = top(together)
        if (
            joined_name not in MISSES
            and joined_name not in NOT_TOPICS
            and joined_confidence >= CONTEXT_AT_LEAST
        ):
            return _adopt(parsed, together, "context")
    if len(text) >= LONG_MESSAGE and (name in MISSES or confidence < UNSURE_BELOW):
        best: dict[str, Any] | None = None
        best_confidence = max(confidence, PART_AT_LEAST)
        for part in candidate_parts(text):
            reading = parse(part)
            part_name, part_confidence = top(reading)
            if part_name in MISSES or part_name in NOT_TOPICS:
                continue
            if part_confidence >= best_confidence:
                best, best_confidence = reading, part_confidence
        if best is not None:
            return _adopt(parsed, best, "sentence")
    return parsed
