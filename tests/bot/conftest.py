"""Fixtures for `python -m bot` as a process (test_main.py): the fake Bot API server on loopback and\nthe relay as a subprocess."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from safeshare import launcher
from tests.bot.relay_process import RunningRelay, start_relay, stop_relay
from tests.fakes.telegram_api import FakeTelegramServer

_chat_ids = itertools.count(710_001)


@pytest.fixture()
def chat_id() -> int:
    """A chat no other test uses (conversations in Rasa are per chat)."""
    return next(_chat_ids)


@pytest.fixture(scope="session")
def relay(stack: launcher.Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRelay]:
    """The real relay against the real stack's Rasa and a fake Bot API server."""
    log = tmp_path_factory.mktemp("relay") / "relay.log"
    with FakeTelegramServer(token="123456:RELAY-TEST-TOKEN") as tg:
        running = start_relay(tg, stack.rasa_url, log)
        try:
            yield running
        finally:
            stop_relay(running)


@pytest.fixture(scope="session")
def relay_without_rasa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRelay]:
    """The relay with RASA_URL pointing at a closed port."""
    log = tmp_path_factory.mktemp("relay-down") / "relay.log"
    with FakeTelegramServer(token="654321:DOWN-TEST-TOKEN") as tg:
        running = start_relay(tg, f"http://127.0.0.1:{launcher.free_port()}", log)
        try:
            yield running
        finally:
            stop_relay(running)
