"""What the relay remembers per chat, in memory only (bot/memory.py): languages and ordering."""

from __future__ import annotations

import asyncio

import pytest

from bot.memory import ChatLanguages, ChatLocks, from_language_code


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("zh-hk", "zh"),
        ("zh-hant", "zh"),
        ("zh", "zh"),
        ("ZH-TW", "zh"),
        ("yue", "zh"),
        ("en", "en"),
        ("en-GB", "en"),
        ("fr", None),
        (None, None),
        ("", None),
    ],
)
def test_language_code(code: str | None, language: str | None) -> None:
    assert from_language_code(code) == language


def test_chosen_beats_seen_beats_app_language() -> None:
    languages = ChatLanguages()
    assert languages.language(1) == "en"
    assert languages.hint(1) is None
    assert languages.language(1, "zh-hk") == "zh"
    languages.observe(1, "hello there, what is a deepfake")
    assert languages.language(1, "zh-hk") == "en"
    languages.observe(1, "ok")  # too short to say: keeps the last language seen
    assert languages.language(1, "zh-hk") == "en"
    languages.observe(1, "深偽是甚麼")
    assert languages.language(1) == "zh"
    languages.choose(1, "en")
    assert languages.language(1, "zh-hk") == "en"
    languages.observe(1, "深偽是甚麼")
    assert languages.language(1) == "en"
    languages.choose(1, "fr")  # not supported: ignored
    assert languages.language(1) == "en"
    languages.forget(1)
    assert languages.language(1) == "en" and languages.hint(1) is None
    assert languages.language(2) == "en"


def test_languages_are_bounded() -> None:
    languages = ChatLanguages(capacity=2)
    for chat in (1, 2, 3):
        languages.choose(chat, "zh")
    assert languages.hint(1) is None and languages.hint(3) == "zh"


async def test_chat_locks_keep_one_chats_messages_in_order() -> None:
    locks = ChatLocks()
    order: list[str] = []

    async def handle(chat: int, name: str, delay: float) -> None:
        async with locks.hold(chat):
            await asyncio.sleep(delay)
            order.append(name)

    await asyncio.gather(handle(1, "a1", 0.05), handle(1, "a2", 0), handle(2, "b1", 0))
    assert order.index("a1") < order.index("a2")
    assert order[0] == "b1"  # another chat is not held up
    assert locks._locks == {}  # noqa: SLF001 - released locks are dropped
