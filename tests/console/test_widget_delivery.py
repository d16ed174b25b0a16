"""A staff answer to a widget (Socket.IO) inquiry goes through the real Rasa server: the console
triggers `staff_answer_ready` and `action_deliver_staff_answer` says the answer in that
conversation. It counts as delivered only when a widget in that conversation confirms it showed
it (`staff_answer_seen`): with no browser connected it stays pending, and a socket of another
conversation cannot confirm it. (tests/widget/test_widget_browser.py does it with the real widget.)"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid

import httpx
import pytest
import sqlalchemy as sa

from safeshare import launcher
from safeshare.db.models import Inquiry
from safeshare.db.session import engine_for, session_scope
from safeshare.identity import REFERENCE_IN_TEXT
from safeshare.settings import get_settings
from safeshare.web import accounts
from safeshare.web.app import create_app
from tests.console.conftest import PASSWORD, Console
from tests.helpers import chat, texts

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_widget_answer_is_said_in_the_conversation(stack: launcher.Stack) -> None:
    settings = dataclasses.replace(get_settings(), cookie_secure=False)
    assert settings.rasa_url == stack.rasa_url
    sender = f"widget-{uuid.uuid4().hex[:10]}"
    metadata = {"channel": "socketio"}
    chat(stack, sender, "I want to talk to a real person", metadata)
    chat(stack, sender, "Can a tutoring centre keep my daughter's photos forever?", metadata)
    reference = REFERENCE_IN_TEXT.search(texts(chat(stack, sender, "/deny", metadata)))
    assert reference
    reference = reference.group(0)

    username = f"widget-{uuid.uuid4().hex[:6]}"
    with session_scope(engine_for(settings.database_url)) as session:
        accounts.create_user(session, username, "reviewer", PASSWORD)
    console = Console(create_app(settings).test_client())
    assert console.login(username).status_code == 302
    answer = "Ask the centre for its retention policy; 你可以要求刪除。"
    console.post(f"/console/inquiries/{reference}/answer", {"answer": answer})

    with session_scope(engine_for(settings.database_url)) as session:
        row = session.execute(sa.select(Inquiry).where(Inquiry.reference == reference)).scalar_one()
        assert (row.channel, row.reply_address) == ("socketio", sender)
        assert row.status == "answered" and row.staff_answer == answer
        assert row.delivery_status == "pending", row.delivery_error  # no browser showed it
    tracker = httpx.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": settings.rasa_token}, timeout=30
    ).json()
    said = [e.get("text") or "" for e in tracker["events"] if e.get("event") == "bot"]
    assert any(answer in text and reference in text for text in said)

    # Another conversation's socket, or one that did not join any, cannot confirm it.
    asyncio.run(confirm(stack.rasa_url, f"widget-{uuid.uuid4().hex[:10]}", reference))
    asyncio.run(confirm(stack.rasa_url, None, reference, claimed_session=sender))
    # Nor can malformed confirmations from the right session; they are ignored, nothing breaks.
    hostile = [
        None,
        "SS-AAAAA",
        ["x"],
        {"session_id": 5, "reference": reference},
        {"session_id": sender},
        {"session_id": sender, "reference": reference.lower()},
        {"session_id": sender, "reference": f"{reference}'; DROP TABLE inquiries; --"},
        {"session_id": sender, "reference": "SS-" + "A" * 100_000},
    ]
    asyncio.run(confirm(stack.rasa_url, sender, reference, payloads=hostile))
    time.sleep(1)
    assert delivery_status(settings, reference) == "pending"
    assert "pending" in console.get(f"/console/inquiries/{reference}").text

    # The user's own widget session confirms it: delivered.
    asyncio.run(confirm(stack.rasa_url, sender, reference))
    deadline = time.monotonic() + 10
    while delivery_status(settings, reference) != "delivered" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert delivery_status(settings, reference) == "delivered"
    assert "delivered" in console.get(f"/console/inquiries/{reference}").text


def delivery_status(settings, reference: str) -> str | None:
    with session_scope(engine_for(settings.database_url)) as session:
        row = session.execute(sa.select(Inquiry).where(Inquiry.reference == reference)).scalar_one()
        return row.delivery_status


async def confirm(
    url: str,
    session_id: str | None,
    reference: str,
    claimed_session: str | None = None,
    payloads: list | None = None,
) -> None:
    """A Socket.IO client that joins `session_id` (if any) and says it showed `reference`, as
    the widget does, in the name of `claimed_session` (default: the session it joined); or sends
    `payloads` as they are."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    confirmed = asyncio.Event()

    @client.on("session_confirm")
    async def _confirmed(_: object) -> None:
        confirmed.set()

    # Long polling: python-engineio's websocket client needs a newer aiohttp than Rasa pins.
    await client.connect(url, socketio_path="/socket.io", transports=["polling"])
    try:
        if session_id is not None:
            await client.emit("session_request", {"session_id": session_id})
            await asyncio.wait_for(confirmed.wait(), 30)
        if payloads is None:
            payloads = [{"session_id": claimed_session or session_id, "reference": reference}]
        for payload in payloads:
            await client.emit("staff_answer_seen", payload)
        await asyncio.sleep(0.5)
    finally:
        await client.disconnect()
