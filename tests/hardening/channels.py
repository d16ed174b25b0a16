"""Sending the hostile corpus through each channel of a running stack, and reading back what
SafeShare stored. Used by the hardening fixtures (conftest.py) and tests.

REST: all of the corpus and the raw bodies, concurrently (bounded). Socket.IO: a representative
subset, one session per case, six at a time, with python-socketio's AsyncClient. Telegram: the
subset through the real relay (`python -m bot`) and the fake Bot API server, one chat per case,
all at once (the relay handles updates concurrently).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from safeshare import launcher
from safeshare.settings import PROJECT_ROOT
from tests.hardening.corpus import Case, corpus, raw_bodies, subset

# Measurements worth reading in the test log; conftest.py prints them at the end of the run.
# (Not tests.conftest.REPORTS: importing tests/conftest.py by name loads a second copy of it, whose
# list pytest never prints, and whose import re-points SAFESHARE_VAR_DIR at a new folder.)
NOTES: list[str] = []

REST_CONCURRENCY = 8
REST_TIMEOUT = 300.0
# Messages of BIG characters or more go first, one at a time, each allowed BIG_TIMEOUT seconds
# (the tests expect BIG_LIMIT): Rasa handles a message on its one event loop, so a message that
# takes minutes stalls every other conversation meanwhile.
BIG = 10_000
BIG_TIMEOUT = 120.0
BIG_LIMIT = 30.0
SIO_WORKERS = 6
SUBSET_SIZE = 60
TELEGRAM_TEXT_LIMIT = 4096  # Telegram delivers no longer message
# Extra Socket.IO cases: inputs the REST corpus sends as raw bytes, which a browser could emit.
SIO_EXTRA = (
    Case("sio-lone-surrogate", "unicode", "\ud800 what is a deepfake?"),
    Case("sio-restart", "payload", "/restart"),
)


@dataclass
class Outcome:
    name: str
    replies: list[dict[str, Any]] = field(default_factory=list)
    status: int | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def texts(self) -> list[str]:
        return [str(r.get("text") or "") for r in self.replies]

    @property
    def has_text(self) -> bool:
        return any(text.strip() for text in self.texts)


@dataclass
class ChannelRun:
    channel: str
    cases: dict[str, Case]
    outcomes: dict[str, Outcome]
    seconds: float
    skipped: str | None = None
    processes_alive: dict[str, bool] = field(default_factory=dict)
    log: Path | None = None


def chat(stack: launcher.Stack, sender: str, text: str) -> list[dict[str, Any]]:
    response = httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    )
    response.raise_for_status()
    return response.json()


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies)


def processes_alive(stack: launcher.Stack) -> dict[str, bool]:
    return {name: process.poll() is None for name, process in stack.processes.items()}


# ------------------------------------------------------------------------------ REST


async def _send_rest(stack: launcher.Stack, run_id: str) -> tuple[dict[str, Outcome], dict[str, Outcome]]:
    """Big messages first, one at a time (each one's own time is measured, and a slow one cannot
    make the rest of the corpus time out behind it); then everything else, concurrently."""
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    texts: dict[str, Outcome] = {}
    raws: dict[str, Outcome] = {}
    limits = httpx.Limits(max_connections=REST_CONCURRENCY * 2)
    async with httpx.AsyncClient(timeout=httpx.Timeout(REST_TIMEOUT), limits=limits) as client:

        async def send(gate: asyncio.Semaphore, outcome: Outcome, timeout: float, **request: Any) -> None:
            async with gate:
                started = time.monotonic()
                try:
                    response = await client.post(url, timeout=timeout, **request)
                    outcome.status = response.status_code
                    if response.status_code == 200:
                        body = response.json()
                        outcome.replies = body if isinstance(body, list) else [body]
                    else:
                        outcome.error = response.text[:300]
                except (httpx.HTTPError, ValueError) as error:
                    outcome.error = f"{type(error).__name__}: {error}"
                outcome.seconds = time.monotonic() - started

        def message(case: Case) -> dict[str, Any]:
            return {"json": {"sender": f"hard-{run_id}-{case.name}", "message": case.text}}

        one_at_a_time = asyncio.Semaphore(1)
        for case in big_cases():
            texts[case.name] = Outcome(case.name)
            await send(one_at_a_time, texts[case.name], BIG_TIMEOUT, **message(case))
            if texts[case.name].status is None:
                # Still busy with it: wait until the server answers again, so that the next
                # message's time is its own.
                with contextlib.suppress(httpx.HTTPError):
                    await client.get(f"{stack.rasa_url}/", timeout=900)
        gate = asyncio.Semaphore(REST_CONCURRENCY)
        jobs = []
        for case in corpus():
            if case.name not in texts:
                texts[case.name] = Outcome(case.name)
                jobs.append(send(gate, texts[case.name], REST_TIMEOUT, **message(case)))
        for raw in raw_bodies():
            raws[raw.name] = Outcome(raw.name)
            jobs.append(
                send(
                    gate,
                    raws[raw.name],
                    REST_TIMEOUT,
                    content=raw.body,
                    headers={"content-type": raw.content_type},
                )
            )
        await asyncio.gather(*jobs)
    return texts, raws


def big_cases() -> list[Case]:
    return sorted((c for c in corpus() if len(c.text) >= BIG), key=lambda c: -len(c.text))


def run_rest(stack: launcher.Stack) -> tuple[ChannelRun, ChannelRun]:
    """The whole corpus (text cases and raw bodies) through the REST channel."""
    started = time.monotonic()
    texts, raws = asyncio.run(_send_rest(stack, uuid.uuid4().hex[:6]))
    seconds = time.monotonic() - started
    alive = processes_alive(stack)
    text_run = ChannelRun("rest", {c.name: c for c in corpus()}, texts, seconds, processes_alive=alive)
    raw_run = ChannelRun("rest-raw", {}, raws, seconds, processes_alive=alive)
    return text_run, raw_run


# ------------------------------------------------------------------------------ Socket.IO


def socketio_cases() -> list[Case]:
    return [*subset(SUBSET_SIZE), *SIO_EXTRA]


async def _socketio_one(url: str, case: Case, outcome: Outcome) -> None:
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    confirmed = asyncio.Event()
    arrived: list[float] = []

    @client.on("session_confirm")
    async def _confirm(_: object) -> None:
        confirmed.set()

    @client.on("bot_uttered")
    async def _uttered(data: dict[str, Any]) -> None:
        outcome.replies.append(data if isinstance(data, dict) else {"text": str(data)})
        arrived.append(time.monotonic())

    started = time.monotonic()
    # Long polling: python-engineio 4.15's websocket client needs aiohttp >= 3.10 (Rasa pins 3.9).
    await client.connect(url, socketio_path="/socket.io", transports=["polling"])
    try:
        session_id = f"hard-sio-{uuid.uuid4().hex}"
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 30)
        sent = time.monotonic()
        await client.emit("user_uttered", {"message": case.text, "session_id": session_id})
        # Done when replies stopped for a second, or (no reply) after 8 s; at most 120 s.
        while time.monotonic() - sent < 120:
            await asyncio.sleep(0.2)
            if arrived and time.monotonic() - arrived[-1] >= 1.0:
                break
            if not arrived and time.monotonic() - sent >= 8.0:
                break
    except Exception as error:  # noqa: BLE001 - recorded and judged by the tests
        outcome.error = f"{type(error).__name__}: {error}"
    finally:
        await client.disconnect()
        outcome.seconds = time.monotonic() - started


async def _send_socketio(url: str, cases: list[Case]) -> dict[str, Outcome]:
    outcomes = {case.name: Outcome(case.name) for case in cases}
    queue: asyncio.Queue[Case] = asyncio.Queue()
    for case in cases:
        queue.put_nowait(case)

    async def worker() -> None:
        while not queue.empty():
            case = queue.get_nowait()
            await _socketio_one(url, case, outcomes[case.name])

    await asyncio.gather(*[worker() for _ in range(SIO_WORKERS)])
    return outcomes


def run_socketio(stack: launcher.Stack) -> ChannelRun:
    cases = socketio_cases()
    started = time.monotonic()
    outcomes = asyncio.run(_send_socketio(stack.rasa_url, cases))
    return ChannelRun(
        "socketio",
        {c.name: c for c in cases},
        outcomes,
        time.monotonic() - started,
        processes_alive=processes_alive(stack),
    )


# ------------------------------------------------------------------------------ Telegram


def telegram_cases() -> list[Case]:
    """Telegram cannot carry a blank message or more than 4096 characters."""
    return [
        Case(c.name, c.category, c.text[:TELEGRAM_TEXT_LIMIT], c.pii)
        for c in subset(SUBSET_SIZE)
        if not c.blank
    ]


def _start_relay(tg: Any, rasa_url: str, log: Path) -> subprocess.Popen:
    """`python -m bot` against the fake Bot API (as tests/bot/conftest.py starts it)."""
    env = launcher.base_env(
        {
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_URL": tg.base_url,
            "TELEGRAM_MODE": "polling",
            "RASA_URL": rasa_url,
            "SAFESHARE_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    mark = tg.mark()
    process = subprocess.Popen(
        launcher.telegram_argv(),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while not any(method == "getUpdates" for method, _ in tg.calls[mark:]):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            raise RuntimeError("the relay did not start:\n" + log.read_text(errors="replace")[-3000:])
        time.sleep(0.1)
    return process


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_telegram(stack: launcher.Stack, log: Path) -> ChannelRun:
    """The subset as Telegram text messages (one chat per case, all at once: the relay handles
    updates concurrently), through the real relay and a fake Bot API server."""
    cases = telegram_cases()
    from tests.fakes.telegram_api import FakeTelegramServer, text_update

    chats = {case.name: 880_000 + index for index, case in enumerate(cases)}
    with FakeTelegramServer(token="424242:HARDENING-TOKEN") as tg:
        relay = _start_relay(tg, stack.rasa_url, log)
        try:
            started = time.monotonic()
            mark = tg.mark()
            for case in cases:
                tg.push_update(text_update(chats[case.name], case.text))
            outcomes = _await_telegram(tg, mark, chats, relay, timeout=240)
            seconds = time.monotonic() - started
            alive = {**processes_alive(stack), "relay": relay.poll() is None}
        finally:
            _stop(relay)
    return ChannelRun(
        "telegram", {c.name: c for c in cases}, outcomes, seconds, processes_alive=alive, log=log
    )


def _await_telegram(
    tg: Any, mark: int, chats: dict[str, int], relay: subprocess.Popen, timeout: float
) -> dict[str, Outcome]:
    """Wait until every chat got an answer and nothing was sent for 2 s (or the timeout)."""
    deadline = time.monotonic() + timeout
    by_chat = {str(chat_id): name for name, chat_id in chats.items()}
    while True:
        with tg._lock:  # noqa: SLF001 - a consistent snapshot, as tests/bot/conftest.py does
            log = list(tg.call_log[mark:])
        answered = {
            str(e["params"].get("chat_id"))
            for e in log
            if e["method"] in ("sendMessage", "sendDocument") and e["status"] == 200
        }
        quiet = not log or time.monotonic() - log[-1]["at"] >= 2.0
        if (answered >= set(by_chat) and quiet) or time.monotonic() > deadline or relay.poll() is not None:
            break
        time.sleep(0.2)
    outcomes = {name: Outcome(name) for name in chats}
    for entry in log:
        name = by_chat.get(str(entry["params"].get("chat_id")))
        if name is None or entry["method"] not in ("sendMessage", "sendDocument"):
            continue
        if entry["status"] == 200:
            params = entry["params"]
            outcomes[name].replies.append(
                {"text": params.get("text") or params.get("caption") or "", "_method": entry["method"]}
            )
    return outcomes


# ------------------------------------------------------------------------------ storage


def stored_text(database_urls: list[str], var_dir: Path) -> str:
    """Everything SafeShare keeps: every row of every table of its databases and every file in
    var/ (spool, SQLite files and their WAL), as text."""
    import sqlalchemy as sa

    chunks: list[str] = []
    for url in database_urls:
        engine = sa.create_engine(url, future=True)
        try:
            with engine.connect() as conn:
                for table in sa.inspect(engine).get_table_names():
                    for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                        chunks.append(" ".join(str(value) for value in row))
        finally:
            engine.dispose()
    for path in var_dir.rglob("*"):
        if path.is_file():
            chunks.append(path.read_bytes().decode("utf-8", "ignore"))
    return "\n".join(chunks)
