"""Staff answers reach the Telegram chat (safeshare/delivery.py, through the fake Bot API on
loopback), or fail loudly with DeliveryError."""

from __future__ import annotations

import pytest

from safeshare import responses
from safeshare.botapi import TEXT_LIMIT, telegram_length
from safeshare.delivery import DELIVERED, StaffAnswer, deliver_answer, deliver_telegram
from safeshare.errors import ChannelUnreachable, DeliveryError
from safeshare.launcher import free_port
from safeshare.settings import get_settings
from tests.fakes.telegram_api import FakeTelegramServer


def deliver_staff_answer(chat_id: str, reference: str, answer: str, language: str) -> None:
    """What the console does for a Telegram inquiry."""
    staff_answer = StaffAnswer(reference, "telegram", chat_id, language, answer)
    assert deliver_answer(staff_answer) == DELIVERED


@pytest.fixture()
def tg(monkeypatch: pytest.MonkeyPatch):
    with FakeTelegramServer(token="555:DELIVERY") as server:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", server.token)
        monkeypatch.setenv("TELEGRAM_API_URL", server.base_url)
        get_settings.cache_clear()
        yield server
    get_settings.cache_clear()


def test_staff_answer_is_sent_in_the_users_language(tg: FakeTelegramServer) -> None:
    deliver_staff_answer("4242", "SS-7K3Q9", "Please ask the school to remove the photo.", "en")
    deliver_staff_answer("4242", "SS-7K3Q9", "請要求學校移除相片。", "zh")
    sent = tg.sent_messages(4242)
    assert [m["text"] for m in sent] == [
        "Reply from SafeShare staff about SS-7K3Q9:\nPlease ask the school to remove the photo.",
        responses.text("utter_staff_answer", "zh", reference="SS-7K3Q9", answer="請要求學校移除相片。"),
    ]
    assert sent[1]["text"].startswith("SafeShare 職員就 SS-7K3Q9 的回覆")
    assert sent[0]["link_preview_options"] == {"is_disabled": True}


def test_rate_limit_is_waited_out(tg: FakeTelegramServer) -> None:
    tg.fail_next("sendMessage", status=429, retry_after=1)
    deliver_staff_answer("4243", "SS-AAAAA", "An answer.", "en")
    attempts = [e for e in tg.call_log if e["method"] == "sendMessage"]
    assert [e["status"] for e in attempts] == [429, 200]
    assert attempts[1]["at"] - attempts[0]["at"] >= 1.0


def test_bad_gateway_is_retried(tg: FakeTelegramServer) -> None:
    tg.fail_next("sendMessage", status=502)
    deliver_staff_answer("4244", "SS-AAAAA", "An answer.", "en")
    assert [m["text"] for m in tg.sent_messages(4244)][0].endswith("An answer.")


def test_long_answer_is_split_under_the_limit(tg: FakeTelegramServer) -> None:
    answer = "\n\n".join(
        f"Step {i}: " + "check the privacy settings of every account. " * 12 for i in range(40)
    )
    deliver_staff_answer("4245", "SS-LONG2", answer, "en")
    sent = [m["text"] for m in tg.sent_messages(4245)]
    assert len(sent) >= 2
    assert all(telegram_length(text) <= TEXT_LIMIT for text in sent)
    assert sent[0].startswith("Reply from SafeShare staff about SS-LONG2:")
    assert "".join("".join(sent).split()) == "".join(
        f"Reply from SafeShare staff about SS-LONG2:\n{answer}".split()
    )


def test_blocked_user_raises_delivery_error_with_telegrams_reason(tg: FakeTelegramServer) -> None:
    tg.fail_next("sendMessage", status=403, description="Forbidden: bot was blocked by the user")
    with pytest.raises(DeliveryError, match="blocked by the user") as raised:
        deliver_staff_answer("4246", "SS-AAAAA", "An answer.", "en")
    assert not isinstance(raised.value, ChannelUnreachable)
    assert tg.token not in str(raised.value)
    assert tg.sent_messages(4246) == []


def test_persistent_5xx_is_channel_unreachable(tg: FakeTelegramServer, monkeypatch) -> None:
    monkeypatch.setattr("safeshare.botapi.BACKOFF", 0.01)
    tg.fail_next("sendMessage", status=502, times=10)
    with pytest.raises(ChannelUnreachable):
        deliver_staff_answer("4247", "SS-AAAAA", "An answer.", "en")
    assert len([e for e in tg.call_log if e["method"] == "sendMessage"]) == 4  # bounded


def test_unreachable_api_raises_channel_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("safeshare.botapi.BACKOFF", 0.01)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "555:SECRET")
    monkeypatch.setenv("TELEGRAM_API_URL", f"http://127.0.0.1:{free_port()}/bot")
    get_settings.cache_clear()
    try:
        with pytest.raises(ChannelUnreachable) as raised:
            deliver_staff_answer("4248", "SS-AAAAA", "An answer.", "en")
        assert "555:SECRET" not in str(raised.value)
    finally:
        get_settings.cache_clear()


def test_no_token_is_a_delivery_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(DeliveryError, match="TELEGRAM_BOT_TOKEN"):
            deliver_staff_answer("4249", "SS-AAAAA", "An answer.", "en")
    finally:
        get_settings.cache_clear()


async def test_async_variant(tg: FakeTelegramServer) -> None:
    tg.fail_next("sendMessage", status=429, retry_after=1)
    await deliver_telegram(StaffAnswer("SS-ASYNC", "telegram", "4250", "en", "Async answer."))
    assert tg.sent_messages(4250)[0]["text"].endswith("Async answer.")
    tg.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    with pytest.raises(DeliveryError, match="chat not found"):
        await deliver_telegram(StaffAnswer("SS-ASYNC", "telegram", "4251", "en", "Async answer."))


def test_a_flood_wait_longer_than_the_console_holds_on_is_a_delivery_error(tg: FakeTelegramServer) -> None:
    tg.fail_next("sendMessage", status=429, retry_after=31)
    with pytest.raises(DeliveryError, match="rate limit") as raised:
        deliver_staff_answer("4252", "SS-AAAAA", "An answer.", "en")
    assert not isinstance(raised.value, ChannelUnreachable)
    assert tg.sent_messages(4252) == []


def test_a_rejected_token_is_a_delivery_error_without_the_token(tg: FakeTelegramServer, monkeypatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "999:WRONG-TOKEN")
    get_settings.cache_clear()
    with pytest.raises(DeliveryError) as raised:
        deliver_staff_answer("4253", "SS-AAAAA", "An answer.", "en")
    assert not isinstance(raised.value, ChannelUnreachable)
    assert "WRONG-TOKEN" not in str(raised.value)
    assert [e["status"] for e in tg.call_log] == [401]  # one try, no getMe first
