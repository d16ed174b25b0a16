"""A representative subset of the hostile corpus as Telegram messages, through the real relay
(`python -m bot`) and a fake Bot API server on loopback, to the real stack."""

from __future__ import annotations

import pytest

from tests.hardening.channels import NOTES, ChannelRun
from tests.hardening.expectations import forbidden_in

pytestmark = pytest.mark.model


@pytest.fixture()
def run(telegram_run: ChannelRun) -> ChannelRun:
    if telegram_run.skipped:
        pytest.skip(telegram_run.skipped)
    return telegram_run


def test_every_message_gets_an_answer(run: ChannelRun) -> None:
    """Telegram carries no blank message; the relay apologises for an empty reply from Rasa, so
    every input, /restart included, gets a non-empty message."""
    assert len(run.cases) >= 50
    silent = {name: run.cases[name].text[:60] for name, o in run.outcomes.items() if not o.has_text}
    assert not silent, silent
    NOTES.append(f"hardening Telegram: {len(run.cases)} inputs in {run.seconds:.0f} s")


def test_nothing_dangerous_is_echoed(run: ChannelRun) -> None:
    leaks = {name: forbidden_in(o.texts) for name, o in run.outcomes.items()}
    assert not {name: found for name, found in leaks.items() if found}


def test_relay_and_stack_survive(run: ChannelRun) -> None:
    assert run.processes_alive.get("relay") is True, run.processes_alive
    assert all(run.processes_alive.values()), run.processes_alive


def test_relay_logs_no_message_text(run: ChannelRun) -> None:
    """The relay promises never to log message text: none of the hostile texts (nor their
    identifiers) is in its log."""
    log = run.log.read_text(encoding="utf-8", errors="replace")
    assert "relay ready" in log
    distinctive = [c for c in run.cases.values() if len(c.text.strip()) >= 12]
    found = [c.name for c in distinctive if c.text.strip()[:40] in log]
    found += [raw for c in run.cases.values() for raw in c.pii if raw in log]
    assert not found, found
