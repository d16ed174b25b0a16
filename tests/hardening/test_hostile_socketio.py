"""A representative subset of the hostile corpus through Rasa's Socket.IO channel (what the
website widget uses), one session per input, with python-socketio's AsyncClient."""

from __future__ import annotations

import pytest

from tests.hardening.channels import NOTES, ChannelRun, chat, texts
from tests.hardening.expectations import ACCEPTED_SILENCE, forbidden_in, once_silent

pytestmark = pytest.mark.model


def test_every_session_is_confirmed_and_served(socketio_run: ChannelRun) -> None:
    assert len(socketio_run.outcomes) >= 60
    errors = {name: o.error for name, o in socketio_run.outcomes.items() if o.error}
    assert not errors, errors
    NOTES.append(f"hardening Socket.IO: {len(socketio_run.outcomes)} inputs in {socketio_run.seconds:.0f} s")


def test_every_message_gets_a_sensible_reply(socketio_run: ChannelRun) -> None:
    silent = []
    for name, outcome in socketio_run.outcomes.items():
        case = socketio_run.cases[name]
        if case.blank or case.text in ACCEPTED_SILENCE:
            continue
        if not outcome.has_text:
            silent.append((name, case.text[:60], outcome.replies))
    assert not silent, silent
    # Blank input: the "did you mean" help or nothing; never an error text.
    for name, case in socketio_run.cases.items():
        if case.blank:
            assert "something went wrong" not in "\n".join(socketio_run.outcomes[name].texts)


def test_once_silent_inputs_get_a_reply(socketio_run: ChannelRun) -> None:
    """/restart and lone surrogates were dropped without a word (expectations.ONCE_SILENT)."""
    fixed = [name for name, case in socketio_run.cases.items() if once_silent(case)]
    assert fixed
    assert all(socketio_run.outcomes[name].has_text for name in fixed), fixed


def test_nothing_dangerous_is_echoed(socketio_run: ChannelRun) -> None:
    leaks = {name: forbidden_in(o.texts) for name, o in socketio_run.outcomes.items()}
    assert not {name: found for name, found in leaks.items() if found}


def test_processes_survive_and_still_answer(socketio_run: ChannelRun, stack) -> None:
    assert all(socketio_run.processes_alive.values()), socketio_run.processes_alive
    assert all(p.poll() is None for p in stack.processes.values())
    assert "face, voice or actions" in texts(chat(stack, "hard-after-sio", "what is a deepfake?"))
