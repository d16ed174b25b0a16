"""Fixtures for the Telegram relay tests: the fake Bot API server, the relay as a subprocess."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator

import pytest

from safeshare import launcher
from safeshare.settings import PROJECT_ROOT

# `tests.fakes` must be importable, and `bot` must resolve to the package, not to this folder
# (pytest puts tests/ on sys.path, where bot/ is a namespace-package candidate): the project root
# on sys.path does both. (`pythonpath = ["."]` in pytest's configuration would do the same.)
if str(PROJECT_ROOT) not in sys.path:
    sys.path.append(str(PROJECT_ROOT))

from tests.bot.relay_process import RunningRelay, start_relay, stop_relay  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramServer  # noqa: E402

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
