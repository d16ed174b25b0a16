"""A staff answer to a widget (Socket.IO) inquiry goes through the real Rasa server: the console
triggers `staff_answer_ready`, `action_deliver_staff_answer` says the answer in that conversation
and marks the inquiry delivered."""

from __future__ import annotations

import dataclasses
import re
import uuid

import httpx
import pytest
import sqlalchemy as sa

from safeshare import launcher
from safeshare.db.models import Inquiry
from safeshare.db.session import engine_for, session_scope
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
    reference = re.search(r"SS-[2-9A-HJ-NP-Z]{5}", texts(chat(stack, sender, "/deny", metadata)))
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
        assert row.delivery_status == "delivered", row.delivery_error
    tracker = httpx.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": settings.rasa_token}, timeout=30
    ).json()
    said = [e.get("text") or "" for e in tracker["events"] if e.get("event") == "bot"]
    assert any(answer in text and reference in text for text in said)
    assert "delivered" in console.get(f"/console/inquiries/{reference}").text
