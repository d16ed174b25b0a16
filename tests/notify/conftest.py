"""Fixtures for staff notifications: a real SMTP server (aiosmtpd) and the fake Bot API on
loopback, settings pointing at both, and inquiries written as the assistant writes them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from safeshare.db import repository
from safeshare.db.session import create_engine, session_scope
from safeshare.settings import Settings, get_settings
from tests.fakes.smtp_server import SmtpInbox
from tests.fakes.telegram_api import FakeTelegramServer

STAFF_CHAT = "-1001234567"
# What a user might write: none of it may ever appear in a notification.
SECRET_QUESTION = "Chan Siu Ming in 3B posted a fake nude of my daughter Ka Yan, call me on 9123 4567"
SECRET_CONTACT = "kayan.mum@example.com"


@pytest.fixture()
def inbox() -> Iterator[SmtpInbox]:
    with SmtpInbox() as server:
        yield server


@pytest.fixture()
def tg() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer(token="555000:STAFF-ALERTS") as server:
        yield server


@pytest.fixture()
def notify_settings(store_url: str, inbox: SmtpInbox, tg: FakeTelegramServer) -> Settings:
    return dataclasses.replace(
        get_settings(),
        database_url=store_url,
        public_url="https://safeshare.example.org",
        smtp_host="127.0.0.1",
        smtp_port=inbox.port,
        smtp_security="none",
        smtp_username="",
        smtp_password="",
        notify_email_from="SafeShare HK <alerts@safeshare.example.org>",
        notify_email_to=("duty@safeshare.example.org", "lead@safeshare.example.org"),
        telegram_bot_token=tg.token,
        telegram_api_url=tg.base_url,
        notify_telegram_chat_id=STAFF_CHAT,
        staff_reply_days=2,
        staff_reply_days_high=1,
        staff_reply_days_urgent=0,
        digest_time="off",  # the digest tests turn it on
    )


def add_inquiry(settings: Settings, reference: str, created: datetime, **fields: Any) -> None:
    values: dict[str, Any] = {
        "reference": reference,
        "channel": "telegram",
        "sender_key": "sender-" + reference,
        "reply_address": "4242",
        "language": "en",
        "question": SECRET_QUESTION,
        "reason": "report_followup",
        "transcript": [{"who": "user", "text": SECRET_QUESTION}],
        "contact_consent": True,
        "contact": SECRET_CONTACT,
        "created_at": created.isoformat(),
    }
    values.update(fields)
    engine = create_engine(settings.database_url)
    with session_scope(engine) as session:
        repository.create_inquiry(session, repository.NewInquiry(**values))
    engine.dispose()
