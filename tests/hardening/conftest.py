"""Fixtures of the hardening suite: the hostile corpus sent once per session through each channel
(REST: all of it, concurrently; Socket.IO and the Telegram relay: a representative subset) to
the shared `stack`, every reply kept for the tests to judge.

Why once per session: the tests judge different properties of the same run (no 5xx, sensible
replies, nothing echoed, processes alive, no PII stored), and sending 500+ messages is the cost.
"""

from __future__ import annotations

import pytest

from safeshare import launcher
from tests.hardening import channels


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    if channels.NOTES:
        terminalreporter.section("SafeShare hardening")
        for line in channels.NOTES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def rest_run(stack: launcher.Stack) -> tuple[channels.ChannelRun, channels.ChannelRun]:
    return channels.run_rest(stack)


@pytest.fixture(scope="session")
def socketio_run(stack: launcher.Stack) -> channels.ChannelRun:
    return channels.run_socketio(stack)


@pytest.fixture(scope="session")
def telegram_run(stack: launcher.Stack, tmp_path_factory: pytest.TempPathFactory) -> channels.ChannelRun:
    return channels.run_telegram(stack, tmp_path_factory.mktemp("hardening-relay") / "relay.log")
