"""What the relay remembers about a chat, in memory only: the language to use for its own
messages, and a lock that keeps one chat's messages in order.

Nothing here is written anywhere; a restart forgets it (Rasa keeps the conversation's language
in its own tracker, so replies from Rasa are unaffected). The maps are bounded so a busy bot
cannot grow without limit.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from safeshare.language import DEFAULT, SUPPORTED, detect


def from_language_code(code: str | None) -> str | None:
    """Telegram's `language_code` of the user's app: zh, zh-hk, zh-hant... → zh; en* → en."""
    if not code:
        return None
    code = code.lower()
    if code.startswith("zh") or code in ("yue", "yue-hk"):
        return "zh"
    if code.startswith("en"):
        return "en"
    return None


class _Bounded(OrderedDict[int, str]):
    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity

    def put(self, key: int, value: str) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.capacity:
            self.popitem(last=False)


class ChatLanguages:
    """Chosen (/lang, a language button) beats seen (the script of the last text with words),
    which beats the user's Telegram app language, which beats English."""

    def __init__(self, capacity: int = 50_000) -> None:
        self._chosen = _Bounded(capacity)
        self._seen = _Bounded(capacity)

    def choose(self, chat_id: int, language: str) -> None:
        if language in SUPPORTED:
            self._chosen.put(chat_id, language)

    def observe(self, chat_id: int, text: str) -> None:
        language = detect(text)
        if language:
            self._seen.put(chat_id, language)

    def language(self, chat_id: int, language_code: str | None = None) -> str:
        return (
            self._chosen.get(chat_id)
            or self._seen.get(chat_id)
            or from_language_code(language_code)
            or DEFAULT
        )

    def hint(self, chat_id: int, language_code: str | None = None) -> str | None:
        """The language to suggest to Rasa with a command (None: nothing is known yet)."""
        return self._chosen.get(chat_id) or self._seen.get(chat_id) or from_language_code(language_code)

    def forget(self, chat_id: int) -> None:
        self._chosen.pop(chat_id, None)
        self._seen.pop(chat_id, None)


class ChatLocks:
    """One lock per chat while it has work in flight; released locks are dropped."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat_id]
            if users <= 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)
