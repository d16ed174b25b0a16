"""What Rasa says when the action server cannot be reached (safeshare/rasa_ext/remote_action.py),
against real HTTP: a closed port, and a small aiohttp server on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from safeshare.rasa_ext import remote_action, server
from safeshare.rasa_ext.nlg import LanguageAwareNLG
from safeshare.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load([str(PROJECT_ROOT / "domain.yml"), str(PROJECT_ROOT / "data" / "responses")])


@pytest.fixture(scope="module")
def nlg(domain: Domain) -> LanguageAwareNLG:
    server.install()  # as `python -m safeshare.rasa_ext.server` does before Rasa starts
    return LanguageAwareNLG(domain=domain)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


def tracker(domain: Domain, language: str | None = None) -> DialogueStateTracker:
    events = [ActionExecuted("action_listen"), UserUttered("hello", {"name": "greet", "confidence": 1.0})]
    if language:
        events.insert(0, SlotSet("language_pref", language))
    return DialogueStateTracker.from_events("resilience-test", events, domain.slots)


def texts(events: list) -> list[str]:
    return [e.text for e in events if isinstance(e, BotUttered)]


# The actions whose call carried the domain, for the last `action_server`.
given_the_domain: list[str] = []
# Per call to the last `action_server`: the client's port (one per TCP connection), the query
# string's token and the Authorization header.
seen: list[tuple[int, str | None, str | None]] = []


@pytest.fixture()
async def action_server() -> AsyncIterator[tuple[str, list[str]]]:
    """A stand-in action server: 400 for `action_reject`, events for anything else."""
    calls: list[str] = []
    given_the_domain.clear()
    seen.clear()

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        calls.append(body["next_action"])
        peer = request.transport.get_extra_info("peername") if request.transport else None
        seen.append(
            (peer[1] if peer else -1, request.query.get("token"), request.headers.get("Authorization"))
        )
        if "domain" in body:
            given_the_domain.append(body["next_action"])
        if body["next_action"] == "action_reject":
            return web.json_response({"action_name": "action_reject", "error": "no"}, status=400)
        return web.json_response({"events": [{"event": "slot", "name": "platform", "value": "x"}]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    # Idle connections closed after 0.3 s, checked 0.3 s after the connection's first answer and
    # then once a second (aiohttp's server): 1.3 s or so after a few quick calls.
    runner = web.AppRunner(app, keepalive_timeout=0.3)
    await runner.setup()
    port = closed_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}/webhook", calls
    finally:
        await runner.cleanup()


async def test_unreachable_action_server_gets_a_kind_message(domain: Domain, nlg: LanguageAwareNLG) -> None:
    endpoint = EndpointConfig(f"http://127.0.0.1:{closed_port()}/webhook")
    events = await RemoteAction("action_flow_answer", endpoint).run(
        CollectingOutputChannel(), nlg, tracker(domain), domain
    )
    [text] = texts(events)
    assert "something went wrong" in text and "999" in text


async def test_the_kind_message_is_in_the_users_language(domain: Domain, nlg: LanguageAwareNLG) -> None:
    endpoint = EndpointConfig(f"http://127.0.0.1:{closed_port()}/webhook")
    events = await RemoteAction("action_flow_answer", endpoint).run(
        CollectingOutputChannel(), nlg, tracker(domain, "zh"), domain
    )
    [text] = texts(events)
    assert "抱歉" in text and "999" in text


async def test_session_start_falls_back_to_rasas_own(domain: Domain, nlg: LanguageAwareNLG) -> None:
    endpoint = EndpointConfig(f"http://127.0.0.1:{closed_port()}/webhook")
    events = await RemoteAction("action_session_start", endpoint).run(
        CollectingOutputChannel(), nlg, tracker(domain, "zh"), domain
    )
    assert isinstance(events[0], SessionStarted)
    assert isinstance(events[-1], ActionExecuted) and events[-1].action_name == "action_listen"
    assert SlotSet("language_pref", "zh") in events  # carried over, as the domain asks
    assert not texts(events)


async def test_a_working_action_server_is_untouched(
    domain: Domain, nlg: LanguageAwareNLG, action_server: tuple[str, list[str]]
) -> None:
    url, calls = action_server
    events = await RemoteAction("action_flow_answer", EndpointConfig(url)).run(
        CollectingOutputChannel(), nlg, tracker(domain), domain
    )
    assert events == [SlotSet("platform", "x")]
    assert calls == ["action_flow_answer"]  # called once


async def test_a_rejection_is_not_a_failure(
    domain: Domain, nlg: LanguageAwareNLG, action_server: tuple[str, list[str]]
) -> None:
    url, calls = action_server
    with pytest.raises(ActionExecutionRejection):
        await RemoteAction("action_reject", EndpointConfig(url)).run(
            CollectingOutputChannel(), nlg, tracker(domain), domain
        )
    assert calls == ["action_reject"]  # a request that reached the server is not repeated


@contextlib.asynccontextmanager
async def open_pool(monkeypatch: pytest.MonkeyPatch, keepalive: float) -> AsyncIterator[None]:
    """The pool open on this test's loop, as a Rasa server opens it when it starts, its idle
    connections kept `keepalive` seconds."""
    monkeypatch.setattr(remote_action, "KEEPALIVE_SECONDS", keepalive)  # sessions made from now on
    remote_action._pool.open()
    try:
        yield
    finally:
        await remote_action._pool.close()


@pytest.fixture()
async def pool(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    async with open_pool(monkeypatch, remote_action.KEEPALIVE_SECONDS):
        yield


async def run_three(domain: Domain, nlg: LanguageAwareNLG, endpoint: EndpointConfig) -> list[list]:
    return [
        await RemoteAction(name, endpoint).run(CollectingOutputChannel(), nlg, tracker(domain), domain)
        for name in ("action_flow_answer", "action_record_feedback", "action_flow_answer")
    ]


async def test_a_server_keeps_its_connection_to_the_action_server(
    domain: Domain, nlg: LanguageAwareNLG, action_server: tuple[str, list[str]], pool: None
) -> None:
    url, calls = action_server
    endpoint = EndpointConfig(url, token="s3cret", basic_auth={"username": "rasa", "password": "pw"})
    results = await run_three(domain, nlg, endpoint)
    assert results == [[SlotSet("platform", "x")]] * 3
    assert calls == ["action_flow_answer", "action_record_feedback", "action_flow_answer"]
    assert len({port for port, _, _ in seen}) == 1  # one connection for the three calls
    # what Rasa's own call sends, on the kept connection too
    assert {(token, auth) for _, token, auth in seen} == {("s3cret", "Basic cmFzYTpwdw==")}
    with pytest.raises(ActionExecutionRejection):  # a rejection is still a rejection
        await RemoteAction("action_reject", endpoint).run(
            CollectingOutputChannel(), nlg, tracker(domain), domain
        )


async def test_a_connection_the_action_server_closed_is_not_used(
    domain: Domain,
    nlg: LanguageAwareNLG,
    action_server: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, calls = action_server
    endpoint = EndpointConfig(url)
    async with open_pool(monkeypatch, 30.0):  # the server gives the connection up first here
        await run_three(domain, nlg, endpoint)
        await asyncio.sleep(1.6)  # the stand-in server has closed the idle connection (~1.3 s)
        events = await RemoteAction("action_flow_answer", endpoint).run(
            CollectingOutputChannel(), nlg, tracker(domain), domain
        )
    assert events == [SlotSet("platform", "x")]  # answered, not the apology
    assert len(calls) == 4
    assert len({port for port, _, _ in seen}) == 2  # a new connection for the last call


async def test_an_idle_connection_is_given_up_before_the_server_gives_it_up(
    domain: Domain,
    nlg: LanguageAwareNLG,
    action_server: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with open_pool(monkeypatch, 0.1):
        await run_three(domain, nlg, EndpointConfig(action_server[0]))
        [session] = remote_action._pool._sessions.values()
        connector = session.connector
        assert connector is not None
        await asyncio.sleep(0.5)  # > the pool's keep-alive (0.1-0.2 s), < the server's (~1.3 s)
        assert not any(connector._conns.values())  # the pool let the connection go first
    assert session.closed


async def test_without_a_server_calls_are_made_as_rasa_makes_them(
    domain: Domain, nlg: LanguageAwareNLG, action_server: tuple[str, list[str]]
) -> None:
    await run_three(domain, nlg, EndpointConfig(action_server[0]))  # no pool opened on this loop
    assert len({port for port, _, _ in seen}) == 3  # a connection per call, as Rasa's
    assert not remote_action._pool._sessions


def test_a_rasa_server_opens_the_pool_as_it_starts_and_closes_it_as_it_stops(nlg: LanguageAwareNLG) -> None:
    import inspect

    import rasa.core.run

    # `serve_application` registers these two by their module names when it is called
    source = inspect.getsource(rasa.core.run.serve_application)
    assert "partial(load_agent_on_start," in source and "register_listener(close_resources" in source
    assert rasa.core.run.load_agent_on_start.original.__name__ == "load_agent_on_start"
    assert rasa.core.run.close_resources.original.__name__ == "close_resources"


def test_retry_only_what_never_reached_the_server() -> None:
    import aiohttp
    from rasa.shared.exceptions import RasaException

    def failed(cause: BaseException) -> RasaException:
        try:
            raise cause
        except BaseException:
            try:
                raise RasaException("Failed to execute custom action")
            except RasaException as error:
                return error

    assert remote_action._not_sent(failed(aiohttp.ClientOSError(32, "Cannot write to closing transport")))
    assert not remote_action._not_sent(failed(aiohttp.ServerDisconnectedError()))
    assert not remote_action._not_sent(failed(ValueError(json.dumps({"x": 1}))))


def test_answers_are_still_validated(nlg: LanguageAwareNLG) -> None:
    import jsonschema

    action = RemoteAction("action_flow_answer", None)
    assert action._validate_action_result({"events": [], "responses": []})
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result({"events": "not a list"})
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result({"events": [{"no_event_key": 1}]})


async def test_only_the_actions_that_read_it_get_the_domain(
    domain: Domain,
    nlg: LanguageAwareNLG,
    action_server: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """endpoints.yml as Rasa reads it: the ~210 kB domain goes to the form validators and to the
    actions domain.yml marks `send_domain` (action_more_details reads the response names), not
    to every call."""
    from rasa.core.utils import read_endpoints_from_path

    url, calls = action_server
    monkeypatch.setenv("ACTION_ENDPOINT_URL", url)
    endpoint = read_endpoints_from_path(str(PROJECT_ROOT / "endpoints.yml")).action
    assert endpoint is not None and endpoint.url == url
    for name in domain.user_actions:
        await RemoteAction(name, endpoint).run(CollectingOutputChannel(), nlg, tracker(domain), domain)
    assert calls == domain.user_actions
    assert sorted(given_the_domain) == [
        "action_more_details",
        "validate_escalation_form",
        "validate_report_deepfake_form",
    ]


def answers_to_check() -> list[object]:
    """Action server answers, valid and not: one of each of Rasa's events as Rasa writes it, and
    each of them with every property given a value of each JSON type, the event name changed or
    dropped, and odd shapes around them."""
    from rasa.shared.core import events as rasa_events
    from rasa.shared.utils.schemas.events import EVENT_SCHEMA

    made = [
        UserUttered(
            "hi",
            {"name": "greet", "confidence": 0.9},
            [{"entity": "topic", "value": "x", "start": 0, "end": 1}],
        ),
        BotUttered("hello", {"buttons": []}, {"utter_action": "utter_greet"}),
        ActionExecuted("utter_greet", policy="RulePolicy", confidence=1.0),
        SlotSet("platform", "whatsapp"),
        SessionStarted(),
        rasa_events.ActiveLoop("report_deepfake_form"),
        rasa_events.ActiveLoop(None),
        rasa_events.FollowupAction("action_listen"),
        rasa_events.ConversationPaused(),
        rasa_events.ConversationResumed(),
        rasa_events.Restarted(),
        rasa_events.AllSlotsReset(),
        rasa_events.ActionReverted(),
        rasa_events.UserUtteranceReverted(),
        rasa_events.ActionExecutionRejected("validate_x"),
        rasa_events.LoopInterrupted(True),
        rasa_events.EntitiesAdded([{"entity": "topic", "value": "x"}]),
        rasa_events.AgentUttered("staff"),
        rasa_events.StoryExported(),
        rasa_events.ReminderCancelled(name="r"),
    ]
    events: list[object] = [e.as_dict() for e in made]
    names = [branch["properties"]["event"]["const"] for branch in EVENT_SCHEMA["oneOf"]]
    values: list[object] = [
        None,
        True,
        1,
        1.5,
        "s",
        [],
        [1],
        {},
        {"name": 1},
        {"name": "n", "confidence": "high"},
    ]
    for event in list(events):
        assert isinstance(event, dict)
        for key in list(event) + ["name", "value", "text", "parse_data", "policy", "timestamp", "metadata"]:
            for value in values:
                events.append({**event, key: value})
        events.append({k: v for k, v in event.items() if k != "event"})
    for name in names + ["unknown", "", "USER"]:
        events.append({"event": name})
        events.append({"event": name, "name": "n", "value": 1})
    events += [None, 1, "slot", [], [{"event": "slot"}]]
    answers: list[object] = [{"events": [e]} for e in events]
    answers += [
        {},
        {"events": []},
        {"responses": []},
        {"events": [], "responses": [{"text": "hi"}]},
        {"responses": ["hi"]},
        {"responses": {}},
        {"events": None},
        {"events": {}},
        {"events": [events[0], events[1]], "responses": [{}]},
        {"events": [events[0], {"event": "nope"}]},
        [],
        "events",
        None,
    ]
    return answers


def test_the_quick_check_accepts_only_what_the_whole_schema_accepts() -> None:
    import jsonschema

    schema = RemoteAction.action_response_format_spec()
    answers = answers_to_check()
    accepted = 0
    for answer in answers:
        whole = jsonschema.validators.validator_for(schema)(schema).is_valid(answer)
        assert remote_action._valid_quickly(answer) == whole, answer
        accepted += whole
    assert 100 < accepted < len(answers) - 100  # both kinds, many of each
