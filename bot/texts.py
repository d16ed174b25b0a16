"""The relay's own words (a photo refused, an apology, the privacy notice), from the assistant's
responses so both languages live in data/responses/*.yml like every other answer.

A few responses are specific to Telegram and may not exist yet in a checkout; `say` then falls
back to a named existing response (or to nothing), so the relay never crashes on a missing text.
"""

from __future__ import annotations

from typing import Any

from safeshare import responses

# Language buttons: each language's own name, which is the same in every interface language.
LANGUAGE_CHOICES = (("English", "en"), ("繁體中文", "zh"))
LANGUAGE_PROMPT_FALLBACK = "🌐 English / 繁體中文"


def exists(name: str) -> bool:
    return name in responses.all_responses()


def say(name: str, language: str, *fallbacks: str, **values: Any) -> str | None:
    """The text of the first response among `name, *fallbacks` that exists, else None."""
    for candidate in (name, *fallbacks):
        if exists(candidate):
            return responses.text(candidate, language, **values) or None
    return None


def buttons(name: str, language: str) -> list[dict[str, Any]]:
    """A response's buttons as Rasa would send them ([{"title", "payload"}])."""
    if not exists(name):
        return []
    return list(responses.variation(name, language).get("buttons") or [])


def set_language_payload(language: str) -> str:
    return '/set_language{"language_choice":"%s"}' % language  # noqa: UP031 - JSON braces


def language_buttons(language: str) -> list[dict[str, Any]]:
    """English / 繁體中文: from `utter_ask_language` when it defines them, else built here."""
    return buttons("utter_ask_language", language) or [
        {"title": title, "payload": set_language_payload(code)} for title, code in LANGUAGE_CHOICES
    ]


def commands(language: str) -> list[tuple[str, str]]:
    """The command menu from `utter_telegram_commands` ("command - description" per line,
    BotFather's format); empty when the response does not exist."""
    text = say("utter_telegram_commands", language) or ""
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        command, sep, description = line.partition(" - ")
        command = command.strip().lstrip("/")
        if sep and command and description.strip():
            out.append((command, description.strip()))
    return out
