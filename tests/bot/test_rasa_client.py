"""Talking to Rasa's REST channel for a chat (bot/rasa_client.py), against an in-process Rasa."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.rasa_client import REST_PATH, RasaClient, telegram_sender
from safeshare.errors import ChannelUnreachable
from safeshare.identity import sender_key


def client(handler) -> RasaClient:  # noqa: ANN001 - an httpx MockTransport handler
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return RasaClient(http, "http://rasa.test/", backoff=0.0)


async def test_one_message_under_the_chats_pseudonym_and_its_replies() -> None:
    seen: list[httpx.Request] = []

    def rasa(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[{"text": "hi"}, "not a message", {"text": "there"}])

    assert await client(rasa).send(42, "hello") == [{"text": "hi"}, {"text": "there"}]
    [request] = seen
    assert str(request.url) == "http://rasa.test" + REST_PATH
    assert json.loads(request.content) == {
        "sender": telegram_sender(42),
        "message": "hello",
        "metadata": {"channel": "telegram", "reply_to": "42"},
    }
    assert telegram_sender(42) == "tg-" + sender_key("telegram:42")


async def test_a_refused_connection_is_retried_then_reported() -> None:
    calls = 0

    def refused(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json=[{"text": "back"}])

    assert await client(refused).send(1, "x") == [{"text": "back"}]
    calls = -100
    with pytest.raises(ChannelUnreachable, match="refused the connection"):
        await client(refused).send(1, "x")


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (httpx.ReadTimeout("slow"), "in time"),
        (httpx.Response(500), "HTTP 500"),
        (httpx.Response(200, content=b"<html>"), "not JSON"),
        (httpx.Response(200, json={"text": "a dict"}), "not a list"),
    ],
)
async def test_anything_else_is_not_retried_and_is_channel_unreachable(answer, reason: str) -> None:  # noqa: ANN001
    calls = 0

    def rasa(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if isinstance(answer, Exception):
            raise answer
        return answer

    with pytest.raises(ChannelUnreachable, match=reason):
        await client(rasa).send(1, "x")
    assert calls == 1  # a timeout or an error status may have reached Rasa: never sent twice
