"""The relay's own words (a photo refused, an apology, the privacy notice, the command menu), from
the assistant's responses, so both languages live in data/responses/*.yml like every other answer.

Every response named here exists (tests/bot/test_texts.py says so), so nothing falls back to
English written in Python.
"""

from __future__ import annotations

from typing import Any

from safeshare import responses

PRIVACY_NOTICE = "utter_telegram_privacy"
LANGUAGE_PROMPT = "utter_ask_language"  # its buttons are the language choice
COMMAND_MENU = "utter_telegram_commands"


def say(name: str, language: str, **values: Any) -> str:
    return responses.text(name, language, **values)


def buttons(name: str, language: str) -> list[dict[str, Any]]:
    """A response's buttons as Rasa would send them ([{"title", "payload"}])."""
    return list(responses.variation(name, language).get("buttons") or [])


def language_buttons(language: str) -> list[dict[str, Any]]:
    """English / 繁體中文, with the payloads that set the language."""
    return buttons(LANGUAGE_PROMPT, language)


def commands(language: str) -> list[tuple[str, str]]:
    """The command menu from `utter_telegram_commands` ("command - description" per line,
    BotFather's format)."""
    out: list[tuple[str, str]] = []
    for line in say(COMMAND_MENU, language).splitlines():
        command, sep, description = line.partition(" - ")
        command = command.strip().lstrip("/")
        if sep and command and description.strip():
            out.append((command, description.strip()))
    return out
