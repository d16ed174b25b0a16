"""How Rasa calls the action server: what it does when the server cannot be reached, and the
cost of checking each answer.

Rasa's `RemoteAction.run` turns a failed call into an exception, and the message processor logs it
and drops the action's events: the user gets no reply at all, and a conversation that starts while
the action server is down loses its `action_session_start` (so its first question is answered by
the fallback). This module wraps `RemoteAction.run` (there is no configuration hook for it):

- a connection that could not be made, or broke before the request was written, is tried once
  more (under load aiohttp sometimes reuses a keep-alive connection the server is closing);
  a request that may have reached the action server is not repeated, so nothing runs twice;
- `action_session_start` falls back to Rasa's built-in session start (new session, language and
  other slots carried over); waiting staff answers are delivered at the next session instead;
- any other custom action answers with `utter_error` (try again in a minute; 999),
  in the user's language, instead of silence.

A 400 from the action server (an action rejecting its execution, e.g. a form validation) is not a
failure of the server and is passed on unchanged.

Rasa opens a new `aiohttp.ClientSession`, and with it a new TCP connection, for every call
(`EndpointConfig.request`): ~0.9 ms of the Rasa process's CPU per call on loopback, against ~0.4
ms over a kept connection. Here, in a running Rasa server, the action server's calls share one
session (`_Pool`, opened as the server starts and closed as it stops), whose idle connections
are given up after `KEEPALIVE_SECONDS`, before the action server closes them (Sanic's 5 s), so a
request is not sent down a connection the server is closing. The call itself is still Rasa's
`EndpointConfig.request` (headers, token parameter, certificate, compression, timeout, errors);
only the session it makes the call on is the kept one.

Rasa also checks every action server answer with `jsonschema.validate`, which first validates the
schema itself against the JSON Schema meta-schema: under load that was ~29% of the Rasa
process's CPU (py-spy, bench/load.py at 20 users). The schema never changes, so it is checked
once and the validator is kept. Each event is then checked against the `oneOf` of Rasa's 23
event schemas, every one of them tried (~5% of the CPU per message at one user). The branches
differ by the `event` name each requires, so an event is valid under the `oneOf` exactly when it
is valid under its own name's branch: `_valid_quickly` checks that branch alone. Whatever it does
not accept goes through the whole schema, so a bad answer gets the same error as before.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import jsonschema
from rasa.core.actions import action as rasa_action
from rasa.core.actions.action import ActionExecutionRejection, ActionSessionStart, RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.core.events import Event
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

UNAVAILABLE = "utter_error"
# Used only if the domain has lost the response: English and Chinese, 999 first.
LAST_RESORT = (
    "If anyone is in immediate danger, call 999. Sorry, part of SafeShare is not working right now, "
    "so I could not finish that. Please try again in a few minutes.\n"
    "如有人身處即時危險，請致電999。抱歉，SafeShare 部分服務暫時未能運作，請稍後再試。"
)
_SAFE_TO_RETRY = (aiohttp.ClientConnectorError, aiohttp.ClientOSError)
# How long an idle connection to the action server is kept: under Sanic's keep-alive timeout (5 s),
# so the client always gives a connection up before the server closes it.
KEEPALIVE_SECONDS = 2.0
_installed = False


class _Pool:
    """The action server's HTTP sessions in a running Rasa server: one per endpoint configuration,
    on the server's event loop, open from the server's start to its stop. Elsewhere (tests,
    `rasa shell`, in-process evaluation, whose loops come and go) calls are made as Rasa makes
    them."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sessions: dict[Any, aiohttp.ClientSession] = {}

    def open(self) -> None:
        """Serve calls made on the running loop from kept connections, until `close`."""
        self._loop = asyncio.get_running_loop()

    def session(self, endpoint: EndpointConfig) -> aiohttp.ClientSession | None:
        """The session for `endpoint`'s calls (None: make this call Rasa's way)."""
        if self._loop is None or asyncio.get_running_loop() is not self._loop:
            return None
        auth = endpoint.basic_auth or {}
        key = (tuple(sorted((endpoint.headers or {}).items())), auth.get("username"), auth.get("password"))
        session = self._sessions.get(key)
        if session is None or session.closed:
            session = self._sessions[key] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE_SECONDS),
                headers=endpoint.headers,
                auth=aiohttp.BasicAuth(auth["username"], auth["password"]) if auth else None,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            )
        return session

    async def close(self) -> None:
        """Close the sessions and make calls Rasa's way again."""
        sessions, self._sessions, self._loop = self._sessions, {}, None
        for session in sessions.values():
            await session.close()


_pool = _Pool()


class _Kept:
    """`async with` on a kept session: the session, left open on the way out."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *_: Any) -> None:
        return None


class PooledEndpoint(EndpointConfig):
    """The action endpoint, its calls made by Rasa's `EndpointConfig.request` on the pool's
    session (module docstring)."""

    def __init__(self, endpoint: EndpointConfig) -> None:  # noqa: D107 - a copy of `endpoint`
        self.__dict__.update(endpoint.__dict__)

    def session(self) -> Any:
        """The pool's session, which `request` does not close; Rasa's new one outside a server."""
        kept = _pool.session(self)
        return _Kept(kept) if kept is not None else super().session()


def pooled(endpoint: EndpointConfig | None) -> EndpointConfig | None:
    """The endpoint whose calls go through the pool (the same object for every call)."""
    if endpoint is None or type(endpoint) is not EndpointConfig:
        return endpoint  # none, already pooled, or a subclass with its own ways
    kept = endpoint.__dict__.get("_safeshare_pooled")
    if kept is None:
        kept = PooledEndpoint(endpoint)
        endpoint.__dict__["_safeshare_pooled"] = kept
    return kept


def _cause(error: BaseException) -> BaseException | None:
    return error.__cause__ or error.__context__


def _not_sent(error: BaseException) -> bool:
    """True when the request never reached the action server (so running it again is safe)."""
    cause = _cause(error)
    if isinstance(cause, aiohttp.ServerDisconnectedError):
        return False  # the server may have run the action before it went away
    return isinstance(cause, _SAFE_TO_RETRY)


async def _run_resiliently(
    self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> list[Event]:
    self.action_endpoint = pooled(self.action_endpoint)
    for attempt in (1, 2):
        try:
            return await _original_run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except RasaException as error:
            if attempt == 2 or not _not_sent(error):
                return await _degraded(self, error, output_channel, nlg, tracker, domain)
            logger.warning("action server connection failed for %s; trying once more", self.name())
    raise AssertionError("unreachable")


async def _degraded(
    self: RemoteAction, error: RasaException, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> list[Event]:
    cause = _cause(error)
    logger.error(
        "custom action %s failed (%s%s); answering without it",
        self.name(),
        type(error).__name__,
        f" from {type(cause).__name__}" if cause else "",
    )
    if self.name() == ActionSessionStart().name():
        return await ActionSessionStart().run(output_channel, nlg, tracker, domain)
    channel = output_channel.name() if output_channel is not None else None
    message = None
    try:
        message = await nlg.generate(UNAVAILABLE, tracker, channel)
    except Exception:  # the apology must not fail in its turn
        logger.exception("could not render %s", UNAVAILABLE)
    if not message:
        message = {"text": LAST_RESORT}
    return [rasa_action.create_bot_utterance(message)]


_original_run = RemoteAction.run


class _Validators:
    """The answer schema's validators, built once: the whole schema, and the same schema split
    into the answer without its events, one event without the `oneOf`, and each `oneOf` branch by
    the event name it requires."""

    def __init__(self) -> None:
        schema = RemoteAction.action_response_format_spec()
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        self.whole = cls(schema)
        events = schema["properties"]["events"]
        event = events["items"]
        assert set(events) == {"type", "items"} and set(schema) == {"type", "properties"}
        self.answer = cls({**schema, "properties": {**schema["properties"], "events": {"type": "array"}}})
        self.event = cls({k: v for k, v in event.items() if k != "oneOf"})
        self.branches: dict[str, Any] = {}
        for branch in event["oneOf"]:
            name = branch["properties"]["event"]["const"]
            assert name not in self.branches, f"two event schemas for {name!r}"
            self.branches[name] = cls(branch)

    def valid_quickly(self, result: Any) -> bool:
        """True only if the whole schema accepts `result` (False: ask the whole schema)."""
        if not self.answer.is_valid(result):
            return False
        for event in result.get("events") or ():
            if not self.event.is_valid(event):
                return False
            branch = self.branches.get(event["event"])
            if branch is None or not branch.is_valid(event):
                return False
        return True


_validators: _Validators | None = None


def _valid_quickly(result: Any) -> bool:
    global _validators
    if _validators is None:
        _validators = _Validators()
    return _validators.valid_quickly(result)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the schema checked once, not on every call, and
    each event checked against its own schema first."""
    if _valid_quickly(result):
        return True
    assert _validators is not None
    error = jsonschema.exceptions.best_match(_validators.whole.iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from "
            "the Action endpoint is valid."
        )
        raise error
    return True


def _open_pool_too(load_agent_on_start: Any) -> Any:
    async def load_agent_and_open_pool(*args: Any, **kwargs: Any) -> Any:
        _pool.open()
        return await load_agent_on_start(*args, **kwargs)

    load_agent_and_open_pool.original = load_agent_on_start  # type: ignore[attr-defined]
    return load_agent_and_open_pool


def _close_pool_too(close_resources: Any) -> Any:
    async def close_resources_and_pool(*args: Any, **kwargs: Any) -> None:
        try:
            await close_resources(*args, **kwargs)
        finally:
            await _pool.close()

    close_resources_and_pool.original = close_resources  # type: ignore[attr-defined]
    return close_resources_and_pool


def install() -> None:
    """Wrap `RemoteAction.run` and its answer check once per process; a Rasa server opens the
    pool as it starts (with its model) and closes it as it stops (idempotent)."""
    global _installed
    if not _installed:
        import rasa.core.run

        RemoteAction.run = _run_resiliently  # type: ignore[method-assign]
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
        rasa.core.run.load_agent_on_start = _open_pool_too(rasa.core.run.load_agent_on_start)
        rasa.core.run.close_resources = _close_pool_too(rasa.core.run.close_resources)
        _installed = True
