"""Urgent inquiries reach staff at once, end to end: a parent escalates through the real assistant
in the website widget (Socket.IO) and on Telegram (the real relay and the fake Bot API); the web
app's notifier emails staff (a real SMTP server on loopback) and writes to the staff Telegram chat
through the same bot token. No notification carries anything the parent wrote. A normal inquiry
alerts nobody at once and is in the daily digest.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from datetime import time as dt_time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from safeshare import launcher, notify
from safeshare.db.models import Inquiry, StaffNotification
from safeshare.db.session import engine_for, session_scope
from safeshare.identity import REFERENCE_IN_TEXT as REFERENCE
from safeshare.settings import PROJECT_ROOT, get_settings
from safeshare.workdays import HKT
from tests.bot.relay_process import RunningRelay, start_relay, stop_relay
from tests.fakes.smtp_server import SmtpInbox
from tests.fakes.telegram_api import FakeTelegramServer, callback_update, text_update
from tests.helpers import chat, texts

pytestmark = [pytest.mark.model, pytest.mark.slow]

STAFF_CHAT = "-1009876543210"
WIDGET_QUESTION = "A boy in Form 2 made a fake nude picture of my 13 year old daughter Mei and shared it"
TELEGRAM_QUESTION = (
    "Someone sent my son Jason a deepfake nude of himself and says he will post it unless we pay"
)
PRIVATE_WORDS = ("Mei", "Jason", "Form 2", "13 year old", "nude", "pay", "boy", "shared it")


@dataclass
class Alerting:
    inbox: SmtpInbox
    tg: FakeTelegramServer
    relay: RunningRelay


@pytest.fixture(scope="module")
def alerting(stack: launcher.Stack, run_dir: Path) -> Iterator[Alerting]:
    """The stack, plus the Telegram relay and a web app whose notifier uses a real SMTP server and
    the fake Bot API (one bot token for the relay and for staff notifications)."""
    with SmtpInbox() as inbox, FakeTelegramServer(token="777000:STAFF-E2E") as tg:
        relay = start_relay(tg, stack.rasa_url, run_dir / "logs" / "alerts-relay.log")
        port = launcher.free_port()
        env = dict(
            stack.env,
            RASA_URL=stack.rasa_url,
            SAFESHARE_WEB_PORT=str(port),
            TELEGRAM_BOT_TOKEN=tg.token,
            TELEGRAM_API_URL=tg.base_url,
            SAFESHARE_NOTIFY_TELEGRAM_CHAT_ID=STAFF_CHAT,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(inbox.port),
            SMTP_SECURITY="none",
            SAFESHARE_NOTIFY_EMAIL_TO="duty@safeshare.example.org",
            SAFESHARE_NOTIFY_INTERVAL="0.5",
            SAFESHARE_DIGEST_TIME="off",
        )
        log = open(run_dir / "logs" / "alerts-web.log", "ab")  # noqa: SIM115
        web = subprocess.Popen(
            [sys.executable, "-m", "safeshare.web", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            launcher.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60, process=web)
            yield Alerting(inbox, tg, relay)
        finally:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=20)
            log.close()
            stop_relay(relay)


def assert_private(text: str) -> None:
    for words in PRIVATE_WORDS:
        assert words not in text, words


def assert_staff_alerted(alerting: Alerting, reference: str) -> None:
    email = alerting.inbox.wait_for(lambda m: reference in m["Subject"], timeout=30)
    assert email["Subject"].startswith(f"[SafeShare] URGENT inquiry {reference}")
    body = email.get_content()
    assert "Priority:  urgent" in body and f"/console/inquiries/{reference}" in body
    assert "sexual content" in body and "child affected" in body
    assert_private(email.as_string())
    message = alerting.tg.wait_for_message(STAFF_CHAT, contains=reference, timeout=30)
    assert message["text"].startswith(f"🔴 URGENT inquiry {reference}")
    assert_private(message["text"])


def stored(reference: str) -> Inquiry:
    with session_scope(engine_for(get_settings().database_url)) as session:
        return session.execute(sa.select(Inquiry).where(Inquiry.reference == reference)).scalar_one()


async def widget_conversation(url: str, session_id: str, messages: list[str]) -> str:
    """Say `messages` in a widget conversation, each after the replies to the last settled; all
    the replies' text."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    confirmed = asyncio.Event()
    replies: list[dict[str, Any]] = []
    last = [time.monotonic()]

    @client.on("session_confirm")
    async def _confirmed(_: object) -> None:
        confirmed.set()

    @client.on("bot_uttered")
    async def _uttered(data: Any) -> None:
        replies.append(data if isinstance(data, dict) else {"text": str(data)})
        last[0] = time.monotonic()

    await client.connect(url, socketio_path="/socket.io", transports=["polling"])
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 30)
        for message in messages:
            before = len(replies)
            await client.emit("user_uttered", {"message": message, "session_id": session_id})
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                if len(replies) > before and time.monotonic() - last[0] > 1.5:
                    break
    finally:
        await client.disconnect()
    return "\n".join(str(r.get("text") or "") for r in replies)


def test_urgent_inquiry_in_the_widget_alerts_staff_at_once(stack: launcher.Stack, alerting: Alerting) -> None:
    session_id = f"alert-widget-{uuid.uuid4().hex[:10]}"
    said = asyncio.run(
        widget_conversation(
            stack.rasa_url, session_id, ["I want to talk to a real person", WIDGET_QUESTION, "/deny"]
        )
    )
    match = REFERENCE.search(said)
    assert match, said
    reference = match.group(0)
    row = stored(reference)
    assert (row.channel, row.priority) == ("socketio", "urgent")
    assert row.priority_reason and "Mei" not in row.priority_reason
    assert_staff_alerted(alerting, reference)


def test_urgent_inquiry_on_telegram_alerts_staff_at_once(alerting: Alerting) -> None:
    relay, chat_id = alerting.relay, 730_001 + int(uuid.uuid4().int % 10_000)
    relay.exchange(text_update(chat_id, "/human"), chat_id)
    replies = relay.exchange(text_update(chat_id, TELEGRAM_QUESTION), chat_id)
    consent = next(r for r in reversed(replies) if r.get("reply_markup"))
    rows = consent["reply_markup"]["inline_keyboard"]
    data = {b["text"]: b.get("callback_data") for row in rows for b in row}["No, just give me a reference"]
    update = callback_update(
        chat_id, data, message_text=consent["text"], reply_markup=consent["reply_markup"]
    )
    done = relay.exchange(update, chat_id)
    match = REFERENCE.search("\n".join(str(m.get("text") or "") for m in done))
    assert match, done
    reference = match.group(0)
    row = stored(reference)
    assert (row.channel, row.priority) == ("telegram", "urgent")
    assert_staff_alerted(alerting, reference)
    # The parent's chat got the assistant's answers only: the alert went to the staff chat.
    assert all(reference not in str(m.get("text")) or "URGENT" not in str(m.get("text")) for m in done)


def test_normal_inquiry_waits_for_the_digest(stack: launcher.Stack, alerting: Alerting) -> None:
    sender = f"alert-normal-{uuid.uuid4().hex[:10]}"
    metadata = {"channel": "socketio"}
    chat(stack, sender, "I want to talk to a real person", metadata)
    chat(stack, sender, "Can my landlord keep a copy of my ID card?", metadata)
    reference = REFERENCE.search(texts(chat(stack, sender, "/deny", metadata)))
    assert reference
    reference = reference.group(0)
    row = stored(reference)
    assert row.priority == "normal"
    time.sleep(3)  # several notifier passes
    assert all(reference not in (m["Subject"] or "") for m in alerting.inbox.messages)
    assert all(reference not in str(p.get("text")) for p in alerting.tg.sent_messages(STAFF_CHAT))
    with session_scope(engine_for(get_settings().database_url)) as session:
        count = session.execute(
            sa.select(sa.func.count())
            .select_from(StaffNotification)
            .where(StaffNotification.reference == reference)
        ).scalar_one()
        assert count == 0
    # On its due day, the digest lists it.
    settings = replace(
        get_settings(),
        smtp_host="127.0.0.1",
        smtp_port=alerting.inbox.port,
        smtp_security="none",
        notify_email_to=("duty@safeshare.example.org",),
        notify_telegram_chat_id="",
        digest_time="09:00",
    )
    due_day_morning = datetime.combine(row.due_on, dt_time(9, 30), tzinfo=HKT)
    notify.run_once(settings=settings, now=due_day_morning, digest=True)
    digest = alerting.inbox.wait_for(lambda m: "Digest" in m["Subject"], timeout=10)
    assert reference in digest.get_content()
