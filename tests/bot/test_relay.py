"""The relay's handlers in process (bot/relay.py), without a trained model or a socket.

python-telegram-bot's own Application runs the relay's handlers; its Bot API requests go to the
fake Bot API through an httpx transport (tests/fakes/telegram_api.py), and Rasa is played by
`FakeRasa` on the relay's own HTTP client: it records what the relay sends and answers with what
a test scripted. `python -m bot` against the real assistant is tested in test_main.py.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import Update
from telegram.request import HTTPXRequest

from bot.rasa_client import REST_PATH
from bot.relay import Relay, build_application, webhook_secret, with_language_hint
from bot.rendering import CHOSEN, KEY_PREFIX
from safeshare import identity, responses
from safeshare.settings import get_settings
from tests.fakes.telegram_api import (
    BOT_USERNAME,
    FakeTelegramServer,
    callback_update,
    document_update,
    edited_update,
    group_photo_update,
    group_text_update,
    photo_update,
    sticker_update,
    text_update,
    voice_update,
)

TOKEN = "123456:IN-PROCESS-TOKEN"
RASA_URL = "http://rasa.test"
PLAN_URL = "http://web.test/plan/school.md?lang=en"
CHAT = 424_201


class FakeRasa:
    """Rasa's REST channel, and the web app's plan download, as the relay's HTTP client sees them.

    Every message the relay posts is kept in `received`; the answer is the next list queued with
    `answer(...)`, else one text echoing the message. `down = True` refuses connections."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.queued: list[list[dict[str, Any]]] = []
        self.down = False
        self.documents = {PLAN_URL: b"# School plan\n\n" + b"- step\n" * 50}

    def answer(self, *replies: dict[str, Any]) -> None:
        self.queued.append(list(replies))

    @property
    def messages(self) -> list[str]:
        return [body["message"] for body in self.received]

    def handle(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) in self.documents:
            return httpx.Response(200, content=self.documents[str(request.url)])
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path != REST_PATH:
            return httpx.Response(404)
        body = json.loads(request.content)
        self.received.append(body)
        replies = self.queued.pop(0) if self.queued else [{"text": f"echo: {body['message']}"}]
        return httpx.Response(200, json=[{"recipient_id": body["sender"], **r} for r in replies])


@dataclasses.dataclass
class Harness:
    application: Any
    relay: Relay
    tg: FakeTelegramServer
    rasa: FakeRasa

    async def send(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        """Hand one update to the relay; the messages (and documents) it sent in answer."""
        start = self.tg.mark()
        update = {"update_id": self.tg.push_update(update), **update}
        await self.application.process_update(Update.de_json(update, self.application.bot))
        return [
            dict(e["params"], _method=e["method"])
            for e in self.tg.call_log[start:]
            if e["method"] in ("sendMessage", "sendDocument") and e["status"] == 200
        ]

    def methods_since(self, start: int) -> list[str]:
        return [e["method"] for e in self.tg.call_log[start:]]


@pytest.fixture()
async def harness() -> AsyncIterator[Harness]:
    settings = dataclasses.replace(
        get_settings(),
        telegram_bot_token=TOKEN,
        telegram_api_url="http://telegram.test/bot",
        rasa_url=RASA_URL,
    )
    tg = FakeTelegramServer(token=TOKEN)  # in process: never started
    rasa = FakeRasa()
    relay = Relay(settings, transport=httpx.MockTransport(rasa.handle))
    requests = (
        HTTPXRequest(httpx_kwargs={"transport": tg.transport()}),
        HTTPXRequest(httpx_kwargs={"transport": tg.transport()}),
    )
    application, _ = build_application(settings, relay=relay, requests=requests)
    await application.initialize()
    await relay.post_init(application)  # run_polling / run_webhook call it after initialize()
    try:
        yield Harness(application, relay, tg, rasa)
    finally:
        await relay.post_shutdown(application)
        await application.shutdown()


def said(messages: list[dict[str, Any]]) -> list[str]:
    return [str(m.get("text", "")) for m in messages]


def buttons_of(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [(b["text"], b.get("callback_data") or b.get("url")) for row in rows for b in row]


def hinted(payload: str, language: str) -> str:
    return payload + json.dumps({"language": language}, separators=(",", ":"))


# ---------------------------------------------------------------- start-up


def test_language_hint_payload() -> None:
    assert with_language_hint("/help", "zh") == '/help{"language":"zh"}'
    assert with_language_hint("/help", None) == "/help"
    assert with_language_hint('/set_language{"language_choice":"en"}', "zh") == (
        '/set_language{"language_choice":"en"}'
    )


def test_the_webhook_secret_is_derived_from_the_project_secret() -> None:
    settings = get_settings()
    secret = webhook_secret(settings)
    assert secret == webhook_secret(settings) and len(secret) == 48
    assert secret != webhook_secret(dataclasses.replace(settings, secret_key="another"))
    assert set(secret) <= set("0123456789abcdef")  # Telegram allows A-Z, a-z, 0-9, _ and -


async def test_the_command_menu_is_set_in_both_languages(harness: Harness) -> None:
    menus = harness.tg.calls_of("setMyCommands")
    assert [m.get("language_code") for m in menus] == [None, "zh"]
    english = [c["command"] for c in menus[0]["commands"]]
    assert {"start", "help", "lang", "human", "status", "forget"} <= set(english)
    assert menus[1]["commands"] != menus[0]["commands"]  # described in Chinese


# ---------------------------------------------------------------- conversation


async def test_a_message_goes_to_rasa_under_a_pseudonymous_sender(harness: Harness) -> None:
    harness.rasa.answer({"text": "A deepfake is ..."})
    start = harness.tg.mark()
    replies = await harness.send(text_update(CHAT, "what is a deepfake?"))
    assert said(replies) == ["A deepfake is ..."]
    assert harness.rasa.received == [
        {
            "sender": "tg-" + identity.sender_key(f"telegram:{CHAT}"),
            "message": "what is a deepfake?",
            "metadata": {"channel": "telegram", "reply_to": str(CHAT)},
        }
    ]
    assert harness.methods_since(start) == ["sendChatAction", "sendMessage"]  # "typing…" first
    assert replies[0]["link_preview_options"] == {"is_disabled": True}


async def test_rasas_paragraphs_become_one_message_with_a_keyboard(harness: Harness) -> None:
    harness.rasa.answer(
        {"text": "First paragraph."},
        {"text": "Second.", "buttons": [{"title": "More", "payload": '/more{"topic":"x"}'}]},
        {"text": "Sources.", "buttons": [{"title": "PCPD", "payload": "https://www.pcpd.org.hk/"}]},
    )
    replies = await harness.send(text_update(CHAT, "tell me"))
    assert said(replies) == ["First paragraph.\n\nSecond.", "Sources."]
    assert buttons_of(replies[0]) == [("More", '/more{"topic":"x"}')]
    assert buttons_of(replies[1]) == [("PCPD", "https://www.pcpd.org.hk/")]


async def test_start_shows_the_privacy_notice_then_greets_in_the_apps_language(harness: Harness) -> None:
    replies = await harness.send(text_update(CHAT, "/start", language_code="zh-hant"))
    notice, greeting = replies
    assert notice["text"] == responses.text("utter_telegram_privacy", "zh")
    assert [title for title, _ in buttons_of(notice)] == ["English", "繁體中文"]
    assert harness.rasa.messages == [hinted("/greet", "zh")]
    assert greeting["text"] == "echo: " + hinted("/greet", "zh")


async def test_commands_carry_the_language_hint(harness: Harness) -> None:
    await harness.send(text_update(CHAT, "/help"))
    await harness.send(text_update(CHAT, "/human"))
    await harness.send(text_update(CHAT, "深偽是甚麼？"))
    await harness.send(text_update(CHAT, "/help"))
    assert harness.rasa.messages == [
        hinted("/help", "en"),
        hinted("/human_handoff", "en"),
        "深偽是甚麼？",
        hinted("/help", "zh"),  # the chat writes Chinese now
    ]


async def test_status_passes_the_reference_on(harness: Harness) -> None:
    await harness.send(text_update(CHAT, "/status ss-7k3q9"))
    await harness.send(text_update(CHAT, "/status"))
    assert harness.rasa.messages == ["status SS-7K3Q9", "/check_status"]


async def test_an_edited_message_is_answered_as_a_new_one(harness: Harness) -> None:
    replies = await harness.send(edited_update(CHAT, "what is a deepfake?"))
    assert said(replies) == ["echo: what is a deepfake?"]


async def test_an_unknown_command_shows_the_menu_in_a_private_chat_only(harness: Harness) -> None:
    await harness.send(text_update(CHAT, "/settings"))
    assert harness.rasa.messages == [hinted("/help", "en")]
    assert await harness.send(group_text_update(CHAT, "/weather")) == []
    assert harness.rasa.messages == [hinted("/help", "en")]


async def test_a_long_message_is_cut_and_the_user_told(harness: Harness) -> None:
    text = "What should I do about a deepfake of my child? " * 430
    replies = await harness.send(text_update(CHAT, text))
    assert said(replies)[0] == responses.text("utter_message_too_long", "en", limit=2000)
    assert harness.rasa.messages == [text[:2000]]


# ---------------------------------------------------------------- buttons and languages


async def test_a_button_press_is_acknowledged_marked_and_sent_on(harness: Harness) -> None:
    [notice, _] = await harness.send(text_update(CHAT, "/start"))
    [(title, data)] = [b for b in buttons_of(notice) if b[0] == "繁體中文"]
    start = harness.tg.mark()
    harness.rasa.answer({"text": responses.text("utter_language_set", "zh")})
    replies = await harness.send(
        callback_update(CHAT, data, message_text=notice["text"], reply_markup=notice["reply_markup"])
    )
    assert said(replies) == [responses.text("utter_language_set", "zh")]
    assert harness.rasa.messages[-1] == '/set_language{"language_choice":"zh"}'
    assert harness.methods_since(start)[:2] == ["answerCallbackQuery", "editMessageReplyMarkup"]
    [edit] = harness.tg.calls_of("editMessageReplyMarkup")
    assert edit["reply_markup"] == {"inline_keyboard": [[{"text": "✓ 繁體中文", "callback_data": CHOSEN}]]}
    # The choice sticks for the relay's own words, whatever the app's language.
    refused = await harness.send(photo_update(CHAT, language_code="en"))
    assert said(refused) == [responses.text("utter_cannot_read_media", "zh")]


async def test_a_long_payload_travels_as_a_key_and_an_old_key_shows_the_menu(harness: Harness) -> None:
    payload = '/more{"topic":"deepfake_intimate_images_law","detail":"a long payload over 64 bytes"}'
    harness.rasa.answer({"text": "Short answer.", "buttons": [{"title": "More", "payload": payload}]})
    [message] = await harness.send(text_update(CHAT, "the law?"))
    [(_, data)] = buttons_of(message)
    assert data.startswith(KEY_PREFIX) and len(data.encode()) <= 64
    await harness.send(callback_update(CHAT, data, reply_markup=message["reply_markup"]))
    assert harness.rasa.messages[-1] == payload
    await harness.send(callback_update(CHAT, KEY_PREFIX + "0" * 24))  # from before a restart
    assert harness.rasa.messages[-1] == "/help"


async def test_forget_erases_what_the_relay_remembers_of_the_chat(harness: Harness) -> None:
    harness.relay.languages.choose(CHAT, "zh")
    await harness.send(text_update(CHAT, "/forget", language_code="en"))
    assert harness.rasa.messages == [hinted("/forget_my_data", "zh")]  # asked in the chosen language
    assert harness.relay.languages.hint(CHAT) is None
    refused = await harness.send(photo_update(CHAT, language_code="en"))
    assert said(refused) == [responses.text("utter_cannot_read_media", "en")]


# ---------------------------------------------------------------- what the relay will not do


@pytest.mark.parametrize(
    ("make", "language_code", "language"),
    [
        (lambda c: photo_update(c, caption="NOT-SENT-CAPTION 9123 4567"), "en", "en"),
        (sticker_update, "zh-hk", "zh"),
        (voice_update, "zh-tw", "zh"),
        (document_update, "en", "en"),
    ],
    ids=["photo", "sticker-zh", "voice-zh", "document"],
)
async def test_media_is_refused_kindly_and_never_read(
    harness: Harness, make: Any, language_code: str, language: str
) -> None:
    update = make(CHAT)
    update["message"]["from"]["language_code"] = language_code
    start = harness.tg.mark()
    replies = await harness.send(update)
    assert said(replies) == [responses.text("utter_cannot_read_media", language)]
    assert harness.rasa.received == []
    assert not {"getFile", "download"} & set(harness.methods_since(start))


async def test_in_a_group_only_what_is_addressed_to_the_bot_is_answered(harness: Harness) -> None:
    group = -CHAT
    for update in (
        group_text_update(CHAT, "what is a deepfake?"),
        group_photo_update(CHAT),
        group_text_update(CHAT, "/help@SomeOtherBot"),
    ):
        start = harness.tg.mark()
        assert await harness.send(update) == []
        assert harness.methods_since(start) == []
    assert harness.rasa.received == []

    await harness.send(group_text_update(CHAT, f"@{BOT_USERNAME} what is a deepfake?"))
    await harness.send(group_text_update(CHAT, "how do I report one?", reply_to_bot=True))
    await harness.send(group_text_update(CHAT, f"/help@{BOT_USERNAME}"))
    assert [m.strip() for m in harness.rasa.messages] == [
        "what is a deepfake?",
        "how do I report one?",
        hinted("/help", "en"),
    ]
    assert {body["metadata"]["reply_to"] for body in harness.rasa.received} == {str(group)}
    photo = await harness.send(group_photo_update(CHAT, caption=f"@{BOT_USERNAME} is this ok?"))
    assert said(photo) == [responses.text("utter_cannot_read_media", "en")]


async def test_an_empty_message_after_a_mention_gets_a_prompt(harness: Harness) -> None:
    replies = await harness.send(group_text_update(CHAT, f"@{BOT_USERNAME}"))
    assert said(replies) == [responses.text("utter_empty_message", "en")]
    assert harness.rasa.received == []


# ---------------------------------------------------------------- documents


async def test_a_document_reply_is_fetched_and_sent_as_a_file(harness: Harness) -> None:
    document = {"document": {"url": PLAN_URL, "filename": "school-deepfake-plan.md"}}
    harness.rasa.answer({"text": "Your plan:"}, {"custom": document})
    text, sent = await harness.send(text_update(CHAT, "/school_plan"))
    assert text["text"] == "Your plan:"
    assert sent["_method"] == "sendDocument"
    assert sent["document"]["filename"] == "school-deepfake-plan.md"
    assert sent["document"]["content"] == harness.rasa.documents[PLAN_URL]


async def test_a_document_that_cannot_be_fetched_is_sent_as_its_link(harness: Harness) -> None:
    missing = "http://web.test/plan/missing.md"
    harness.rasa.answer({"custom": {"document": {"url": missing, "filename": "plan.md"}}})
    replies = await harness.send(text_update(CHAT, "/school_plan"))
    assert [(m["_method"], m["text"]) for m in replies] == [("sendMessage", missing)]


# ---------------------------------------------------------------- failures


async def test_rasa_down_gets_an_apology_in_the_chats_language(harness: Harness) -> None:
    harness.rasa.down = True
    first = await harness.send(text_update(CHAT, "what is a deepfake?"))
    assert said(first) == [responses.text("utter_error", "en")]
    second = await harness.send(text_update(CHAT, "深偽是甚麼？"))
    assert said(second) == [responses.text("utter_error", "zh")]
    pressed = await harness.send(callback_update(CHAT + 1, "/help", language_code="zh-hk"))
    assert said(pressed) == [responses.text("utter_error", "zh")]


async def test_an_empty_answer_from_rasa_gets_an_apology(harness: Harness) -> None:
    harness.rasa.answer()
    replies = await harness.send(text_update(CHAT, "hello there"))
    assert said(replies) == [responses.text("utter_error", "en")]


async def test_a_rate_limit_is_waited_out_and_the_same_message_sent_again(harness: Harness) -> None:
    harness.tg.fail_next("sendMessage", status=429, retry_after=1)
    replies = await harness.send(text_update(CHAT, "what is a deepfake?"))
    assert said(replies) == ["echo: what is a deepfake?"]
    attempts = [e for e in harness.tg.call_log if e["method"] == "sendMessage"]
    assert [e["status"] for e in attempts] == [429, 200]
    assert attempts[1]["at"] - attempts[0]["at"] >= 1.0
    assert attempts[0]["params"]["text"] == attempts[1]["params"]["text"]


async def test_a_bad_gateway_is_retried(harness: Harness) -> None:
    harness.tg.fail_next("sendMessage", status=502)
    replies = await harness.send(text_update(CHAT, "what is a deepfake?"))
    assert said(replies) == ["echo: what is a deepfake?"]


async def test_a_chat_that_blocked_the_bot_is_dropped_quietly(harness: Harness) -> None:
    harness.tg.fail_next("sendMessage", status=403)
    start = harness.tg.mark()
    assert await harness.send(text_update(CHAT, "what is a deepfake?")) == []
    assert harness.methods_since(start) == ["sendChatAction", "sendMessage"]  # tried once, not again
    assert said(await harness.send(text_update(CHAT, "still there?"))) == ["echo: still there?"]


async def test_the_relays_logs_hold_neither_the_token_nor_the_text_nor_the_chat_id(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """The relay's own log lines; libraries' lines are kept quiet and masked by bot/logs.py
    (test_logs.py)."""
    caplog.set_level(logging.INFO, logger="bot")
    harness.rasa.down = True
    await harness.send(text_update(CHAT, "my HKID is A1234563, what now?"))
    harness.rasa.down = False
    harness.tg.fail_next("sendMessage", status=403)
    await harness.send(photo_update(CHAT, caption="a caption"))
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("bot")]
    assert len(lines) >= 3  # Rasa unreachable, a photo refused, a blocked chat
    for secret in (TOKEN, TOKEN.split(":")[1], "A1234563", "a caption", str(CHAT)):
        assert all(secret not in line for line in lines), secret
