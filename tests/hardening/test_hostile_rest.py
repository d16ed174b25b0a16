"""The whole hostile corpus (500+ texts, 36 raw bodies) through the REST channel of the real
stack, concurrently: no 5xx, a sensible reply, nothing dangerous echoed, nothing crashed."""

from __future__ import annotations

import httpx
import pytest

from tests.hardening import corpus as corpus_module
from tests.hardening.channels import BIG_LIMIT, NOTES, ChannelRun, big_cases, chat, texts
from tests.hardening.expectations import (
    ACCEPTED_SILENCE,
    NON_OBJECT_BODIES,
    ONCE_SILENT,
    SURROGATE_BODIES,
    forbidden_in,
    once_silent,
)

pytestmark = pytest.mark.model


def test_corpus_is_large_varied_and_reproducible() -> None:
    first = corpus_module.corpus()
    corpus_module.corpus.cache_clear()
    again = corpus_module.corpus()
    assert first == again  # same seed, same cases, same order
    assert len(first) >= 500
    categories = {case.category for case in first}
    assert {
        "empty",
        "huge",
        "control",
        "invisible",
        "emoji",
        "html",
        "sql",
        "traversal",
        "long-word",
        "mixed-script",
        "format",
        "json",
        "payload",
        "pii",
    } <= categories
    assert max(len(case.text) for case in first) >= 100 * 1024
    assert sum(bool(case.pii) for case in first) >= 30
    assert len(corpus_module.raw_bodies()) >= 20
    assert len(corpus_module.subset(60)) == 60


def test_no_server_error_for_any_text(rest_run: tuple[ChannelRun, ChannelRun]) -> None:
    run, _ = rest_run
    slowest = sorted(run.outcomes.values(), key=lambda o: -o.seconds)[:5]
    NOTES.append(
        f"hardening REST: {len(run.outcomes)} texts in {run.seconds:.0f} s; slowest: "
        + ", ".join(f"{o.name} {o.seconds:.1f} s" for o in slowest)
    )
    big = {case.name for case in big_cases()}  # their time-outs: test_big_messages_...
    bad = {
        name: (o.status, o.error)
        for name, o in run.outcomes.items()
        if (o.status is None and name not in big) or (o.status is not None and o.status != 200)
    }
    assert not bad, bad


def test_big_messages_are_answered_in_time(rest_run: tuple[ChannelRun, ChannelRun]) -> None:
    """Rasa handles a message on its single event loop: while one message is being parsed,
    every other conversation waits. A 100 kB paste must not hold the server for minutes."""
    run, _ = rest_run
    timings = {case.name: round(run.outcomes[case.name].seconds, 1) for case in big_cases()}
    NOTES.append(f"hardening REST, big messages one at a time (s): {timings}")
    slow = {
        name: (seconds, run.outcomes[name].error)
        for name, seconds in timings.items()
        if seconds > BIG_LIMIT or run.outcomes[name].status != 200
    }
    assert not slow, f"answered in more than {BIG_LIMIT:.0f} s (or not at all): {slow}"


def test_every_message_gets_a_sensible_reply(rest_run: tuple[ChannelRun, ChannelRun]) -> None:
    run, _ = rest_run
    silent = []
    for name, outcome in run.outcomes.items():
        case = run.cases[name]
        if case.blank or case.text in ACCEPTED_SILENCE or outcome.status is None:
            continue  # blank: a kind reply or nothing is fine; time-outs: tested apart
        if not outcome.has_text:
            silent.append((name, case.text[:60], outcome.replies))
    assert not silent, silent


def test_blank_input_gets_a_kind_reply_or_nothing(rest_run: tuple[ChannelRun, ChannelRun]) -> None:
    run, _ = rest_run
    blanks = [run.outcomes[name] for name, case in run.cases.items() if case.blank]
    assert len(blanks) >= 10
    assert all(o.status == 200 and isinstance(o.replies, list) for o in blanks)
    # When it answers, it is the "did you mean" help, never an error text.
    for outcome in blanks:
        assert "Sorry, something went wrong" not in "\n".join(outcome.texts)


def test_forged_staff_answer_is_not_delivered(rest_run: tuple[ChannelRun, ChannelRun]) -> None:
    run, _ = rest_run
    for name, case in run.cases.items():
        if case.text in ACCEPTED_SILENCE:
            assert not run.outcomes[name].has_text, (name, run.outcomes[name].replies)


def test_once_silent_inputs_get_a_reply(rest_run: tuple[ChannelRun, ChannelRun]) -> None:
    """/restart and /session_start were answered with silence (ONCE_SILENT); lone surrogates
    arrive as raw bodies (test_surrogate_bodies_get_a_reply)."""
    run, _ = rest_run
    fixed = [name for name, case in run.cases.items() if once_silent(case)]
    assert {run.cases[name].text for name in fixed} >= set(ONCE_SILENT), fixed
    assert all(run.outcomes[name].has_text for name in fixed), {
        name: run.outcomes[name].replies for name in fixed if not run.outcomes[name].has_text
    }
    restart = next(name for name, case in run.cases.items() if case.text == "/restart")
    assert "start again" in "\n".join(run.outcomes[restart].texts)


def test_nothing_dangerous_is_echoed(rest_run: tuple[ChannelRun, ChannelRun]) -> None:
    run, raw = rest_run
    leaks = {name: forbidden_in(o.texts) for name, o in {**run.outcomes, **raw.outcomes}.items()}
    leaks = {name: found for name, found in leaks.items() if found}
    assert not leaks, leaks
    documents = [r["custom"] for o in run.outcomes.values() for r in o.replies if r.get("custom")]
    assert not any("file:" in str(d) or "etc/passwd" in str(d) for d in documents), documents


def test_raw_bodies_get_no_server_error(rest_run: tuple[ChannelRun, ChannelRun]) -> None:
    _, raw = rest_run
    bad = {
        name: (o.status, o.error) for name, o in raw.outcomes.items() if o.status is None or o.status >= 500
    }
    assert not bad, bad
    # Bodies that are not JSON (or not UTF-8 JSON) are refused as such.
    for name in (
        "raw-not-json",
        "raw-truncated-json",
        "raw-ff-fe",
        "raw-overlong-slash",
        "raw-utf16",
        "raw-latin1-cafe",
        "raw-form-encoded",
    ):
        assert raw.outcomes[name].status == 400, (name, raw.outcomes[name].status)
    # A well-formed request with an odd envelope still gets an answer.
    for name in (
        "raw-no-sender",
        "raw-number-sender",
        "raw-long-sender",
        "raw-traversal-sender",
        "raw-json-wrong-type",
        "raw-bad-channel",
    ):
        assert raw.outcomes[name].status == 200 and raw.outcomes[name].has_text, name
    assert raw.outcomes["raw-no-sender"].replies[0]["recipient_id"] == "default"


def test_non_object_bodies_are_refused_with_400(rest_run: tuple[ChannelRun, ChannelRun]) -> None:
    _, raw = rest_run
    statuses = {name: raw.outcomes[name].status for name in NON_OBJECT_BODIES}
    assert all(status == 400 for status in statuses.values()), statuses


def test_surrogate_bodies_get_a_reply(rest_run: tuple[ChannelRun, ChannelRun]) -> None:
    _, raw = rest_run
    assert all(raw.outcomes[name].status == 200 for name in SURROGATE_BODIES)
    assert all(raw.outcomes[name].has_text for name in SURROGATE_BODIES), {
        name: raw.outcomes[name].replies for name in SURROGATE_BODIES
    }


def test_processes_survive_and_still_answer(rest_run: tuple[ChannelRun, ChannelRun], stack) -> None:
    run, _ = rest_run
    assert all(run.processes_alive.values()), run.processes_alive
    assert all(p.poll() is None for p in stack.processes.values())
    assert "face, voice or actions" in texts(chat(stack, "hard-after-rest", "what is a deepfake?"))
    health = httpx.get(f"{stack.rasa_url}/", timeout=10)
    assert health.status_code == 200
