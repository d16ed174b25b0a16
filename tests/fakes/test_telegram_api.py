"""The fake Bot API itself (tests/fakes/telegram_api.py): other tests rely on it behaving like Telegram,\non loopback and in process."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.request import HTTPXRequest

from tests.fakes.telegram_api import (
    BOT_USERNAME,
    FakeTelegramServer,
    callback_update,
    edited_update,
    group_text_update,
    photo_update,
    sticker_update,
    text_update,
    voice_update,
)


@pytest.fixture()
def tg():
    with FakeTelegramServer() as server:
        yield server


async def test_python_telegram_bot_round_trip(tg: FakeTelegramServer) -> None:
    bot = Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)
    async with bot:
        assert bot.username == BOT_USERNAME
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="/a")]])
        sent = await bot.send_message(42, "hello", reply_markup=markup)
        assert sent.text == "hello" and sent.chat.id == 42
        await bot.send_document(42, document=b"# Plan\n", filename="plan.md")
        tg.push_update(text_update(42, "/start"))
        updates = await bot.get_updates(timeout=2)
        assert updates[0].message.text == "/start"
        assert updates[0].message.entities[0].type == "bot_command"
    assert tg.sent_messages(42) == [
        {
            "chat_id": 42,
            "text": "hello",
            "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "/a"}]]},
        },
    ]
    document = tg.sent_documents(42)[0]["document"]
    assert document["filename"] == "plan.md" and document["content"] == b"# Plan\n"


async def test_errors_are_shaped_like_telegrams(tg: FakeTelegramServer) -> None:
    bot = Bot(tg.token, base_url=tg.base_url)
    async with bot:
        tg.fail_next("sendMessage", status=429, retry_after=3)
        with pytest.raises(RetryAfter) as rate:
            await bot.send_message(1, "x")
        assert int(getattr(rate.value.retry_after, "seconds", rate.value.retry_after)) == 3
        tg.fail_next("sendMessage", status=502)
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(1, "x")
        tg.fail_next("sendMessage", status=403)
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(1, "x")
        await bot.send_message(1, "ok")  # failures are one-shot
    assert [m["text"] for m in tg.sent_messages(1)] == ["ok"]
    assert [e["status"] for e in tg.call_log if e["method"] == "sendMessage"] == [429, 502, 403, 200]
    body = httpx.post(f"{tg.api_url}/sendMessage", json={"chat_id": 1, "text": "y"}).json()
    assert body["ok"] is True and body["result"]["text"] == "y"
    tg.fail_next("sendMessage", status=429, retry_after=1)
    body = httpx.post(f"{tg.api_url}/sendMessage", json={"chat_id": 1, "text": "y"}).json()
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }


async def test_wrong_token_is_unauthorized(tg: FakeTelegramServer) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=tg.base_url):
            pass


def test_long_poll_wakes_up_on_push_and_honours_offset(tg: FakeTelegramServer) -> None:
    def later() -> None:
        time.sleep(0.3)
        tg.push_update(text_update(7, "hi"))

    threading.Thread(target=later).start()
    started = time.monotonic()
    result = httpx.post(f"{tg.api_url}/getUpdates", data={"timeout": "5"}, timeout=10).json()
    assert 0.2 < time.monotonic() - started < 3
    [update] = result["result"]
    again = httpx.post(f"{tg.api_url}/getUpdates", data={"timeout": "0"}).json()["result"]
    assert again == [update]  # not confirmed yet
    confirmed = httpx.post(
        f"{tg.api_url}/getUpdates", data={"timeout": "0", "offset": str(update["update_id"] + 1)}
    )
    assert confirmed.json()["result"] == []


def test_update_builders_look_like_telegrams(tg: FakeTelegramServer) -> None:
    assert text_update(5, "what is a deepfake?")["message"]["chat"] == {
        "id": 5,
        "type": "private",
        "first_name": "Parent",
    }
    group = group_text_update(77, f"hey @{BOT_USERNAME} help")["message"]
    assert group["chat"]["id"] == -77 and group["chat"]["type"] == "group"
    assert group["entities"] == [{"type": "mention", "offset": 4, "length": len(BOT_USERNAME) + 1}]
    assert text_update(5, "hi", reply_to_bot=True)["message"]["reply_to_message"]["from"]["is_bot"]
    assert callback_update(5, "/help")["callback_query"]["data"] == "/help"
    assert "photo" in photo_update(5)["message"] and "caption" not in photo_update(5)["message"]
    assert photo_update(5, caption="c")["message"]["caption"] == "c"
    assert sticker_update(5)["message"]["sticker"]["type"] == "regular"
    assert voice_update(5)["message"]["voice"]["mime_type"] == "audio/ogg"
    assert edited_update(5, "fixed")["edited_message"]["edit_date"]


def test_wait_for_times_out_with_what_it_saw(tg: FakeTelegramServer) -> None:
    httpx.post(f"{tg.api_url}/getMe")
    with pytest.raises(TimeoutError, match="getMe"):
        tg.wait_for(lambda method, params: method == "sendMessage", timeout=0.3)
    assert tg.wait_for(lambda method, params: method == "getMe", timeout=1) == ("getMe", {})


def test_unserved_methods_and_downloads_are_404_and_recorded(tg: FakeTelegramServer) -> None:
    assert httpx.post(f"{tg.api_url}/getFile", data={"file_id": "X"}).status_code == 404
    assert httpx.get(f"{tg.base_file_url}{tg.token}/photos/x.jpg").status_code == 404
    assert [(m, s) for m, s in ((e["method"], e["status"]) for e in tg.call_log)] == [
        ("getFile", 404),
        ("download", 404),
    ]


async def test_in_process_transport_answers_like_the_server() -> None:
    """Never started: python-telegram-bot talks to it through an httpx transport."""
    tg = FakeTelegramServer(token="42:IN-PROCESS")
    requests = [HTTPXRequest(httpx_kwargs={"transport": tg.transport()}) for _ in range(2)]
    bot = Bot(
        tg.token, base_url="http://telegram.test/bot", request=requests[0], get_updates_request=requests[1]
    )
    async with bot:
        assert bot.username == BOT_USERNAME
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="/a")]])
        sent = await bot.send_message(42, "hello", reply_markup=markup)
        assert sent.text == "hello" and sent.chat.id == 42
        await bot.send_document(42, document=b"# Plan\n", filename="plan.md")
        tg.fail_next("sendMessage", status=429, retry_after=2)
        with pytest.raises(RetryAfter):
            await bot.send_message(42, "again")
    assert [m["text"] for m in tg.sent_messages(42)] == ["hello"]
    assert tg.sent_messages(42)[0]["reply_markup"] == {
        "inline_keyboard": [[{"text": "A", "callback_data": "/a"}]]
    }
    document = tg.sent_documents(42)[0]["document"]
    assert document["filename"] == "plan.md" and document["content"] == b"# Plan\n"
    assert [e["method"] for e in tg.call_log] == ["getMe", "sendMessage", "sendDocument", "sendMessage"]


def test_stop_ends_a_pending_long_poll() -> None:
    server = FakeTelegramServer().start()
    outcome: list[object] = []

    def poll() -> None:
        try:
            outcome.append(
                httpx.post(f"{server.api_url}/getUpdates", data={"timeout": "30"}, timeout=40).status_code
            )
        except httpx.HTTPError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    server.stop()
    thread.join(10)
    assert time.monotonic() - started < 5
    assert outcome  # answered or cut, but not left hanging
