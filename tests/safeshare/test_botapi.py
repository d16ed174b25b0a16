"""Telegram's rules for every sender (safeshare/botapi.py): message length, splitting, the retry
policy, Telegram's error descriptions and the short-lived bot."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

import httpx
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from safeshare import botapi, responses
from safeshare.botapi import TEXT_LIMIT, split_text, telegram_length

# ---------------------------------------------------------------------------- length and splitting


def test_short_text_is_one_piece() -> None:
    assert split_text("  Hello there.\n") == ["Hello there."]


def test_split_prefers_paragraph_breaks() -> None:
    first = "A" * 3000
    second = "B " * 1000
    pieces = split_text(f"{first}\n\n{second}\n\nCCC")
    assert pieces[0] == first
    assert all(telegram_length(p) <= TEXT_LIMIT for p in pieces)
    assert "".join("".join(pieces).split()) == "".join((first + second + "CCC").split())


def test_split_falls_back_to_lines_then_words_then_hard_cut() -> None:
    lines = "\n".join(f"line {i} " + "x" * 50 for i in range(200))  # no paragraph breaks
    pieces = split_text(lines, limit=1000)
    assert all(len(p) <= 1000 for p in pieces)
    assert all(p.startswith("line ") for p in pieces)  # every cut was at a line break
    assert "\n".join(pieces) == lines

    words = " ".join(["word"] * 600)
    pieces = split_text(words, limit=1000)
    assert all(len(p) <= 1000 and not p.startswith(" ") and not p.endswith(" ") for p in pieces)
    assert " ".join(pieces) == words

    blob = "z" * 2500
    assert split_text(blob, limit=1000) == ["z" * 1000, "z" * 1000, "z" * 500]


def test_split_counts_utf16_units_like_telegram() -> None:
    emoji = "😀" * 3000  # 2 UTF-16 units each: 6000 units, over the limit
    pieces = split_text(emoji)
    assert len(pieces) == 2
    assert all(telegram_length(p) <= TEXT_LIMIT for p in pieces)
    assert "".join(pieces) == emoji
    chinese = "深偽是用人工智能製作的虛假內容。" * 600  # BMP: one unit per character
    assert all(telegram_length(p) <= TEXT_LIMIT for p in split_text(chinese))
    assert "".join(split_text(chinese)) == chinese


def test_long_real_answer_splits_under_the_limit() -> None:
    answer = (
        "\n\n".join(
            responses.text(name, "zh")
            for name in ("utter_deepfake_explained_more", "utter_help", "utter_pics", "utter_disclaimer")
        )
        * 6
    )
    assert telegram_length(answer) > TEXT_LIMIT
    pieces = split_text(answer)
    assert len(pieces) >= 2
    assert all(0 < telegram_length(p) <= TEXT_LIMIT for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(answer.split())


@pytest.mark.parametrize("limit", [50, 200, 4096])
def test_split_never_loses_non_space_characters(limit: int) -> None:
    text = responses.text("utter_help", "en") * 20
    pieces = split_text(text, limit)
    assert all(telegram_length(p) <= limit for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())


# ---------------------------------------------------------------------------- retries


class Flaky:
    """A Bot API call that fails with the given errors, then returns "sent"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "sent"


@pytest.fixture()
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits with_retry asked for (not actually waited)."""
    waited: list[float] = []

    async def sleep(delay: float) -> None:
        waited.append(delay)

    monkeypatch.setattr(botapi.asyncio, "sleep", sleep)
    return waited


async def test_a_rate_limit_is_waited_out_exactly(sleeps: list[float]) -> None:
    call = Flaky(RetryAfter(3))
    assert await botapi.with_retry(call) == "sent"
    assert call.calls == 2 and sleeps == [3.0]


async def test_a_flood_wait_longer_than_the_caller_holds_on_is_raised(sleeps: list[float]) -> None:
    with pytest.raises(RetryAfter):
        await botapi.with_retry(Flaky(RetryAfter(31)), max_wait=30)
    assert sleeps == []


async def test_network_errors_back_off_exponentially_and_are_bounded(sleeps: list[float]) -> None:
    call = Flaky(NetworkError("Bad Gateway"), TimedOut(), NetworkError("Bad Gateway"))
    assert await botapi.with_retry(call) == "sent"
    assert sleeps == [0.5, 1.0, 2.0]
    failing = Flaky(*[NetworkError("Bad Gateway")] * 10)
    with pytest.raises(NetworkError):
        await botapi.with_retry(failing)
    assert failing.calls == botapi.ATTEMPTS


@pytest.mark.parametrize("refusal", [BadRequest("Chat not found"), Forbidden("bot was blocked by the user")])
async def test_a_refusal_is_final(refusal: Exception, sleeps: list[float]) -> None:
    call = Flaky(refusal)
    with pytest.raises(type(refusal)):
        await botapi.with_retry(call)
    assert call.calls == 1 and sleeps == []


def test_description_is_telegrams_own() -> None:
    assert botapi.description(BadRequest("Bad Request: chat not found")) == "Bad Request: chat not found"
    assert botapi.description(Forbidden("Forbidden: bot was blocked by the user")) == (
        "Forbidden: bot was blocked by the user"
    )


def test_file_url_sits_next_to_the_api_url() -> None:
    assert botapi.file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert botapi.file_url("http://127.0.0.1:9/bot") == "http://127.0.0.1:9/file/bot"


async def test_short_lived_bot_sends_without_get_me_and_closes_its_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[str, dict]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        method = request.url.path.rsplit("/", 1)[-1]
        params = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        seen.append((method, params))
        message = {"message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}, "text": params["text"]}
        return httpx.Response(200, json={"ok": True, "result": message})

    clients: list[httpx.AsyncClient] = []
    build = httpx.AsyncClient

    def client(**kwargs: object) -> httpx.AsyncClient:
        made = build(**{**kwargs, "transport": httpx.MockTransport(handler)})
        clients.append(made)
        return made

    monkeypatch.setattr(httpx, "AsyncClient", client)
    async with botapi.short_lived_bot("123:SECRET", "http://telegram.invalid/bot") as bot:
        await bot.send_message(42, "hello")
    assert [method for method, _ in seen] == ["sendMessage"]  # no getMe
    assert json.loads(seen[0][1]["chat_id"]) == 42 and seen[0][1]["text"] == "hello"
    assert clients and all(c.is_closed for c in clients)
    await asyncio.sleep(0)
