"""The relay's own words come from the assistant's responses (bot/texts.py): each one it names
exists in both languages, so the relay never needs a fallback."""

from __future__ import annotations

import pytest

from bot import texts
from bot.relay import COMMAND_PAYLOADS, SET_LANGUAGE
from safeshare import responses

# Every response the relay says itself (bot/relay.py).
RELAY_RESPONSES = (
    texts.PRIVACY_NOTICE,
    texts.LANGUAGE_PROMPT,
    texts.COMMAND_MENU,
    "utter_cannot_read_media",
    "utter_empty_message",
    "utter_message_too_long",
    "utter_error",
)


@pytest.mark.parametrize("name", RELAY_RESPONSES)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_response_the_relay_says_exists_in_both_languages(name: str, language: str) -> None:
    assert name in responses.all_responses()
    assert texts.say(name, language).strip()
    if language == "zh":
        assert texts.say(name, "zh") != texts.say(name, "en")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_language_buttons_set_each_language(language: str) -> None:
    buttons = texts.language_buttons(language)
    assert [b["title"] for b in buttons] == ["English", "繁體中文"]
    chosen = [SET_LANGUAGE.match(b["payload"]) for b in buttons]
    assert [m.group(1) if m else None for m in chosen] == ["en", "zh"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_command_menu_lists_every_command(language: str) -> None:
    commands = dict(texts.commands(language))
    assert set(commands) == {"start", "help", "lang", "human", "status", "forget"}
    assert set(COMMAND_PAYLOADS) <= set(commands)
    assert all(description for description in commands.values())


def test_values_are_filled_in() -> None:
    assert "2000" in texts.say("utter_message_too_long", "en", limit=2000)
