"""`python -m bot` as a process: the real relay against the real trained assistant (the `stack`
fixture) and the fake Telegram Bot API on loopback; at the end, the process without a token and in
webhook mode (those need no model: Rasa is down and the relay apologises).

The handlers themselves are tested in process, without a model, in test_relay.py."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from bot.rasa_client import telegram_sender
from bot.rendering import CHOSEN
from safeshare import identity, launcher, responses, tracker_events
from safeshare.botapi import TEXT_LIMIT, telegram_length
from safeshare.db import repository
from safeshare.db.models import Inquiry
from safeshare.db.session import session_scope
from safeshare.settings import get_settings
from tests.bot.relay_process import RunningRelay, start_relay, stop_relay
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
    video_update,
    voice_update,
)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # Telegram's name for it
model = pytest.mark.model


def said(messages: list[dict]) -> list[str]:
    return [str(m.get("text", "")) for m in messages]


def joined(messages: list[dict]) -> str:
    return "\n\n".join(said(messages))


def buttons_of(message: dict) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [(b["text"], b.get("callback_data") or b.get("url")) for row in rows for b in row]


def press(relay: RunningRelay, chat_id: int, message: dict, title: str, **kwargs) -> list[dict]:
    """Press the button titled `title` under a message the relay sent."""
    data = dict(buttons_of(message))[title]
    update = callback_update(
        chat_id, data, message_text=message["text"], reply_markup=message["reply_markup"], **kwargs
    )
    return relay.exchange(update, chat_id)


def tracker_rows(sender: str) -> list[tuple[str, str]]:
    """(type_name, data) of every event Rasa stored for `sender`."""
    events = tracker_events.events
    engine = sa.create_engine(get_settings().tracker_db_url, future=True)
    try:
        with engine.connect() as conn:
            query = sa.select(events.c.type_name, events.c.data).where(events.c.sender_id == sender)
            return [tuple(row) for row in conn.execute(query)]
    finally:
        engine.dispose()


def db_file_bytes(url: str) -> bytes:
    path = Path(url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


# ---------------------------------------------------------------- conversation


@model
def test_question_gets_the_answer_under_a_pseudonymous_sender(relay: RunningRelay, chat_id: int) -> None:
    replies = relay.exchange(text_update(chat_id, "what is a deepfake?"), chat_id)
    assert responses.text("utter_deepfake_explained", "en") in joined(replies)
    # Rasa knows the chat only as "tg-" + HMAC; the chat id itself is never a sender.
    sender = telegram_sender(chat_id)
    assert sender == "tg-" + identity.sender_key(f"telegram:{chat_id}")
    rows = tracker_rows(sender)
    assert any(kind == "user" for kind, _ in rows)
    assert tracker_rows(str(chat_id)) == []
    assert str(chat_id) not in "".join(data for _, data in rows)  # metadata is not stored


@model
def test_chinese_question_gets_the_chinese_answer(relay: RunningRelay, chat_id: int) -> None:
    replies = relay.exchange(text_update(chat_id, "甚麼是深偽？", language_code="zh-hk"), chat_id)
    assert responses.text("utter_deepfake_explained", "zh") in joined(replies)


@model
def test_start_privacy_notice_language_choice_and_menu(relay: RunningRelay, chat_id: int) -> None:
    replies = relay.exchange(text_update(chat_id, "/start"), chat_id, expect=2)
    notice, *rest = replies
    assert notice["text"] == responses.text("utter_telegram_privacy", "en")
    assert [title for title, _ in buttons_of(notice)] == ["English", "繁體中文"]
    greeting = next(m for m in rest if m.get("reply_markup"))
    assert greeting["text"] == responses.text("utter_greet", "en")
    assert ("Deepfakes", "/deepfake_explained") in buttons_of(greeting)

    # Choose Traditional Chinese: acknowledged, marked, and it sticks.
    start = relay.tg.mark()
    chosen = press(relay, chat_id, notice, "繁體中文")
    assert said(chosen) == [responses.text("utter_language_set", "zh")]
    calls = relay.tg.calls[start:]
    assert any(method == "answerCallbackQuery" for method, _ in calls)
    [edit] = [params for method, params in calls if method == "editMessageReplyMarkup"]
    assert edit["reply_markup"] == {"inline_keyboard": [[{"text": "✓ 繁體中文", "callback_data": CHOSEN}]]}
    menu = relay.exchange(text_update(chat_id, "/help"), chat_id)
    assert said(menu) == [responses.text("utter_help", "zh")]


@model
def test_zh_telegram_user_gets_the_greeting_in_chinese(relay: RunningRelay, chat_id: int) -> None:
    replies = relay.exchange(text_update(chat_id, "/start", language_code="zh-hant"), chat_id, expect=2)
    assert responses.text("utter_greet", "zh") in joined(replies)


@model
def test_menu_button_press_gets_the_topic(relay: RunningRelay, chat_id: int) -> None:
    [menu] = relay.exchange(text_update(chat_id, "/help"), chat_id)
    assert menu["text"] == responses.text("utter_help", "en")
    assert ("Privacy settings", "/privacy_settings") in buttons_of(menu)
    replies = press(relay, chat_id, menu, "What is a deepfake?")
    assert responses.text("utter_deepfake_explained", "en") in joined(replies)


@model
def test_school_plan_flow_by_buttons_sends_the_plan_as_a_document(relay: RunningRelay, chat_id: int) -> None:
    replies = relay.exchange(text_update(chat_id, "/help"), chat_id)
    replies = press(relay, chat_id, replies[-1], "School response plan")
    for answer in ("Yes", "No", "Yes", "No"):
        question = replies[-1]
        assert "Question" in question["text"], said(replies)
        replies = press(relay, chat_id, question, answer)
    # The stack's web app serves the plan: it arrives as a file.
    [document] = [m for m in replies if m["_method"] == "sendDocument"]
    assert document["document"]["filename"] == "school-deepfake-plan.md"
    content = document["document"]["content"].decode()
    assert content.lstrip().startswith("#") and len(content) > 200


@model
def test_commands_status_forget_human(relay: RunningRelay, chat_id: int) -> None:
    status = relay.exchange(text_update(chat_id, "/status SS-ZZZZZ"), chat_id)
    assert said(status) == [responses.text("utter_status_not_found", "en")]
    [confirm] = relay.exchange(text_update(chat_id, "/forget"), chat_id)
    assert confirm["text"] == responses.text("utter_ask_forget_confirm", "en")
    assert buttons_of(confirm) == [("Yes, delete", "/affirm"), ("No", "/deny")]
    cancelled = press(relay, chat_id, confirm, "No")
    assert said(cancelled) == [responses.text("utter_forget_cancelled", "en")]
    handoff = joined(relay.exchange(text_update(chat_id, "/human"), chat_id))
    assert handoff.startswith(
        responses.text("utter_handoff_intro", "en")
        + "\n\n"
        + responses.text("utter_pics", "en", days=get_settings().retention_days)
    )
    assert responses.text("utter_ask_inquiry_question", "en") in handoff


@model
def test_edited_message_is_answered_as_a_new_message(relay: RunningRelay, chat_id: int) -> None:
    replies = relay.exchange(edited_update(chat_id, "what is a deepfake?"), chat_id)
    assert responses.text("utter_deepfake_explained", "en") in joined(replies)


@model
def test_unknown_command_shows_the_menu(relay: RunningRelay, chat_id: int) -> None:
    replies = relay.exchange(text_update(chat_id, "/settings"), chat_id)
    assert said(replies) == [responses.text("utter_help", "en")]


# ---------------------------------------------------------------- escalation and staff answers


@model
def test_escalation_from_telegram_and_staff_answer_delivered_to_the_same_chat(
    relay: RunningRelay, chat_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safeshare.delivery import StaffAnswer, deliver_answer

    def deliver_staff_answer(chat: str, reference: str, answer: str, language: str) -> None:
        deliver_answer(StaffAnswer(reference, "telegram", chat, language, answer))

    relay.exchange(text_update(chat_id, "/human"), chat_id)
    [consent] = relay.exchange(
        text_update(chat_id, "The school posted my son's photo on Instagram without asking."), chat_id
    )
    done = press(relay, chat_id, consent, "No, just give me a reference")
    reference = done[-1]["text"].split("Your reference is ")[1][:8]
    days = get_settings().staff_reply_days  # a normal inquiry: the normal reply target
    assert done[-1]["text"] == responses.text("utter_inquiry_created", "en", reference=reference, days=days)
    with session_scope() as session:
        inquiry = session.execute(sa.select(Inquiry).where(Inquiry.reference == reference)).scalar_one()
        assert inquiry.channel == "telegram"
        assert inquiry.reply_address == str(chat_id)
        reply_address, language = inquiry.reply_address, inquiry.language

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", relay.tg.token)
    monkeypatch.setenv("TELEGRAM_API_URL", relay.tg.base_url)
    get_settings.cache_clear()
    try:
        start = relay.tg.mark()
        deliver_staff_answer(reply_address, reference, "Ask the school to take it down.", language)
        message = relay.tg.wait_for_message(chat_id, start=start, timeout=10)
        assert message["text"] == responses.text(
            "utter_staff_answer", "en", reference=reference, answer="Ask the school to take it down."
        )

        # A long staff answer shown by /status is split under Telegram's limit.
        long_answer = "\n\n".join(f"Step {i}: " + "keep evidence and report it. " * 20 for i in range(30))
        with session_scope() as session:
            row = repository.get_inquiry(session, reference)
            row.staff_answer = long_answer
            row.status = "answered"
        replies = relay.exchange(text_update(chat_id, f"/status {reference.lower()}"), chat_id, expect=2)
        assert len(replies) >= 2
        assert all(telegram_length(text) <= TEXT_LIMIT for text in said(replies))
        assert "".join("".join(said(replies)).split()) == "".join(
            responses.text("utter_status_answered", "en", reference=reference, answer=long_answer).split()
        )

        relay.tg.fail_next("sendMessage", status=403)
        from safeshare.errors import DeliveryError

        with pytest.raises(DeliveryError, match="blocked"):
            deliver_staff_answer(reply_address, reference, "Again.", language)
    finally:
        get_settings.cache_clear()


# ---------------------------------------------------------------- robustness


@model
@pytest.mark.parametrize(
    ("make", "language_code", "language"),
    [
        (lambda c: photo_update(c, caption="NOT-STORED-CAPTION 9123 4567"), "en", "en"),
        (lambda c: photo_update(c, language_code="zh-hk"), "zh-hk", "zh"),
        (sticker_update, "en", "en"),
        (voice_update, "zh-tw", "zh"),
        (video_update, "en", "en"),
        (document_update, "en", "en"),
    ],
    ids=["photo", "photo-zh", "sticker", "voice-zh", "video", "document"],
)
def test_media_is_refused_kindly_and_nothing_of_it_is_kept(
    relay: RunningRelay, chat_id: int, make, language_code: str, language: str
) -> None:
    update = make(chat_id)
    update["message"]["from"]["language_code"] = language_code
    start = relay.tg.mark()
    replies = relay.exchange(update, chat_id)
    assert said(replies) == [responses.text("utter_cannot_read_media", language)]
    calls = [method for method, _ in relay.tg.calls[start:]]
    assert "getFile" not in calls and "download" not in calls
    # Rasa never heard of it: no conversation for this chat, no inquiry, no caption anywhere.
    assert tracker_rows(telegram_sender(chat_id)) == []
    with session_scope() as session:
        keys = {identity.sender_key(telegram_sender(chat_id)), telegram_sender(chat_id)}
        assert (
            session.execute(
                sa.select(sa.func.count()).select_from(Inquiry).where(Inquiry.sender_key.in_(keys))
            ).scalar_one()
            == 0
        )
    settings = get_settings()
    for url in (settings.tracker_db_url, settings.database_url):
        assert b"NOT-STORED-CAPTION" not in db_file_bytes(url)


@model
def test_media_language_follows_the_last_text(relay: RunningRelay, chat_id: int) -> None:
    relay.exchange(text_update(chat_id, "深偽是甚麼？", language_code="en"), chat_id)
    replies = relay.exchange(photo_update(chat_id, language_code="en"), chat_id)
    assert said(replies) == [responses.text("utter_cannot_read_media", "zh")]


@model
def test_group_chat_answers_only_when_addressed(relay: RunningRelay, chat_id: int) -> None:
    group = -chat_id
    assert relay.silence(group_text_update(chat_id, "what is a deepfake?"), group) == []
    assert relay.silence(group_photo_update(chat_id), group, wait=0.5) == []
    assert relay.silence(group_text_update(chat_id, "/help@SomeOtherBot"), group, wait=0.5) == []
    assert relay.silence(group_text_update(chat_id, "/weather"), group, wait=0.5) == []

    mentioned = relay.exchange(group_text_update(chat_id, f"@{BOT_USERNAME} what is a deepfake?"), group)
    assert responses.text("utter_deepfake_explained", "en") in joined(mentioned)
    replied = relay.exchange(group_text_update(chat_id, "how do I report one?", reply_to_bot=True), group)
    assert said(replied)
    command = relay.exchange(group_text_update(chat_id, f"/help@{BOT_USERNAME}"), group)
    assert said(command)[0] == responses.text("utter_help", "en")  # (then the flow resumes)
    photo = relay.exchange(group_photo_update(chat_id, caption=f"@{BOT_USERNAME} is this ok?"), group)
    assert said(photo) == [responses.text("utter_cannot_read_media", "en")]


@model
def test_rate_limit_on_send_message_is_waited_out(relay: RunningRelay, chat_id: int) -> None:
    relay.tg.fail_next("sendMessage", status=429, retry_after=1)
    replies = relay.exchange(text_update(chat_id, "what is a deepfake?"), chat_id, settle=1.5)
    assert responses.text("utter_deepfake_explained", "en") in joined(replies)
    attempts = [
        e for e in relay.tg.call_log if e["method"] == "sendMessage" and e["params"].get("chat_id") == chat_id
    ]
    assert attempts[0]["status"] == 429 and attempts[1]["status"] == 200
    assert attempts[1]["at"] - attempts[0]["at"] >= 1.0
    assert attempts[0]["params"]["text"] == attempts[1]["params"]["text"]  # same message again


@model
def test_bad_gateway_on_send_message_is_retried(relay: RunningRelay, chat_id: int) -> None:
    relay.tg.fail_next("sendMessage", status=502)
    replies = relay.exchange(text_update(chat_id, "what is a deepfake?"), chat_id)
    assert responses.text("utter_deepfake_explained", "en") in joined(replies)


@model
def test_very_long_message_is_cut_before_rasa(relay: RunningRelay, chat_id: int) -> None:
    text = "What should I do about a deepfake of my child? " * 430  # ~20,000 characters
    assert len(text) > 20_000
    replies = relay.exchange(text_update(chat_id, text), chat_id)
    assert said(replies)
    assert said(replies)[0] == responses.text("utter_message_too_long", "en", limit=2000)
    user_texts = [
        json.loads(data)["text"] for kind, data in tracker_rows(telegram_sender(chat_id)) if kind == "user"
    ]
    assert user_texts and all(0 < len(t) <= 2000 for t in user_texts)
    assert user_texts[-1] == text[:2000].strip()


@model
def test_empty_message_after_mention_gets_a_prompt(relay: RunningRelay, chat_id: int) -> None:
    replies = relay.exchange(group_text_update(chat_id, f"@{BOT_USERNAME}"), -chat_id)
    assert said(replies) == [responses.text("utter_empty_message", "en")]


def test_rasa_down_gets_an_apology_and_the_relay_keeps_going(
    relay_without_rasa: RunningRelay, chat_id: int
) -> None:
    relay = relay_without_rasa
    first = relay.exchange(text_update(chat_id, "what is a deepfake?"), chat_id)
    assert said(first) == [responses.text("utter_error", "en")]
    second = relay.exchange(text_update(chat_id, "深偽是甚麼？"), chat_id)
    assert said(second) == [responses.text("utter_error", "zh")]
    pressed = relay.exchange(callback_update(chat_id + 1, "/help", language_code="zh-hk"), chat_id + 1)
    assert said(pressed) == [responses.text("utter_error", "zh")]
    time.sleep(0.2)
    assert relay.process.poll() is None


@model
def test_logs_hold_neither_the_token_nor_message_text(relay: RunningRelay) -> None:
    """Runs after the conversations above (same session relay): read everything it logged."""
    log = relay.log_text()
    assert "relay ready" in log
    assert relay.tg.token not in log
    assert relay.tg.token.split(":")[1] not in log
    for text in ("deepfake?", "深偽", "Instagram without asking", "NOT-STORED-CAPTION", "keep evidence"):
        assert text not in log
    assert "710001" not in log  # chat ids appear only as pseudonymous keys


# ---------------------------------------------------------------- startup and webhook mode (no model)


def test_without_a_token_it_exits_saying_why() -> None:
    env = launcher.base_env({"TELEGRAM_BOT_TOKEN": ""})
    result = subprocess.run(
        launcher.telegram_argv(),
        cwd=launcher.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr


def test_webhook_mode_registers_and_answers_only_telegram(tmp_path: Path) -> None:
    port = launcher.free_port()
    with FakeTelegramServer(token="777:WEBHOOK") as tg:
        relay = start_relay(
            tg,
            f"http://127.0.0.1:{launcher.free_port()}",
            tmp_path / "log",
            {
                "TELEGRAM_MODE": "webhook",
                "TELEGRAM_WEBHOOK_URL": "https://safeshare.example/telegram/hook",
                "TELEGRAM_WEBHOOK_PORT": str(port),
            },
        )
        try:
            [registered] = tg.calls_of("setWebhook")
            assert registered["url"] == "https://safeshare.example/telegram/hook"
            secret = registered["secret_token"]
            assert len(secret) >= 32
            assert "message" in registered["allowed_updates"]
            url = f"http://127.0.0.1:{port}/telegram/hook"
            deadline = time.monotonic() + 20
            while True:  # until the webhook server answers at all (a GET is not allowed)
                try:
                    httpx.get(url, timeout=2)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            update = {"update_id": 1, **text_update(91, "what is a deepfake?")}
            assert httpx.post(url, json=update).status_code == 403  # no secret: not Telegram
            assert httpx.post(url, json=update, headers={SECRET_HEADER: "wrong"}).status_code == 403
            assert httpx.post(url, json=update, headers={SECRET_HEADER: secret}).status_code == 200
            message = tg.wait_for_message(91, timeout=30)
            assert message["text"] == responses.text("utter_error", "en")  # Rasa is not running
            assert len(tg.sent_messages(91)) == 1
            assert tg.calls_of("getUpdates") == []
        finally:
            stop_relay(relay)
        assert relay.process.returncode == 0
