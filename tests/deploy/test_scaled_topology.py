"""Two Rasa processes behind nginx, proven on this machine, in both set-ups that run them
(safeshare/topology.py), with the action server and the web app:

- scaled: PostgreSQL tracker store and a shared Redis (docker-compose.yml's topology without
  Docker, `make scaled`);
- embedded: `make run`'s default, SQLite files, lock files for the conversation locks and a
  private Redis (the widget's pushes) that the run starts itself.

What would break if the set-up were wrong:
- without the shared lock store, two replicas handling one conversation at once interleave or
  lose events, or record an escalation twice;
- without sticky Socket.IO routing, the widget's long-polling session lands on a replica that
  does not know it;
- with the REST channel public, anyone could post messages with forged metadata.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import select
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from safeshare.db.models import Inquiry
from safeshare.db.scratch import scratch_database
from safeshare.identity import REFERENCE_IN_TEXT as REFERENCE
from safeshare.identity import sender_key
from safeshare.rasa_ext.lock_store import FileLockStore
from safeshare.settings import PROJECT_ROOT, get_settings
from safeshare.topology import ReplicatedRun, why_not_replicated

pytestmark = [pytest.mark.model]

HANDOFF = "I want to talk to a real person"
CHATS = [
    ["hi", "what is a deepfake?", "how can I tell if a video is a deepfake?", "thank you"],
    ['/set_language{"language_choice":"zh"}', "甚麼是深偽？", "學校可以上載學生的相片嗎？", "多謝"],
    [
        "can a school post photos of my kids online?",
        "what is the PDPO?",
        "how do I complain to the PCPD?",
        "bye",
    ],
]
BURST = ("what is doxxing?", "what is a deepfake?", "what is the PDPO?")


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture(
    scope="module",
    params=[
        pytest.param("scaled", marks=[pytest.mark.postgres, pytest.mark.redis]),
        "embedded",
    ],
)
def scaled(request: pytest.FixtureRequest, trained_model: Path, run_dir: Path) -> Iterator[ReplicatedRun]:
    """Two Rasa processes behind nginx: on PostgreSQL and the shared Redis (scaled), or as
    `make run` starts them, on SQLite files with lock files and a private Redis (embedded)."""
    why = why_not_replicated("" if request.param == "embedded" else "redis://set")
    if why:
        pytest.skip(why)
    # Logs stay in the run's folder (like the `stack` fixture's) for failures.
    workdir = run_dir / request.param
    with contextlib.ExitStack() as cleanup:
        if request.param == "scaled":
            admin = request.getfixturevalue("postgres_admin_url")
            redis_url: str | None = request.getfixturevalue("redis_url")
            # A fresh database; the run applies the migrations itself, like the compose file's
            # `migrate` service.
            url = cleanup.enter_context(scratch_database(admin, "safeshare_scaled", migrate=False))
        else:
            redis_url = None
            url = f"sqlite:///{workdir / 'var' / 'safeshare.db'}"
        lock_dir = workdir / "locks" if request.param == "embedded" else None
        run = ReplicatedRun(url, redis_url, workdir, replicas=2, lock_dir=lock_dir)
        run.start(timeout=300)
        cleanup.callback(run.stop)
        yield run


@pytest.fixture(scope="module")
def db(scaled: ReplicatedRun) -> Iterator[sa.engine.Engine]:
    engine = sa.create_engine(scaled.database_url, future=True)
    yield engine
    engine.dispose()


class RedisMonitor:
    """MONITOR on its own connection, read in a thread: every command the Redis server runs,
    whichever client sent it. Raw RESP, because a client library's read timeout would drop
    the connection."""

    LINE = re.compile(rb'^\+[\d.]+ \[(\d+) [^\]]*\] "(\w+)" "((?:[^"\\]|\\.)*)"')

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 6379)
        self.password = parts.password
        self.db = int((parts.path or "/0").lstrip("/") or 0)
        self.seen: list[tuple[int, str, str]] = []
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._thread = threading.Thread(target=self._read, daemon=True)

    @staticmethod
    def _command(*words: str) -> bytes:
        out = f"*{len(words)}\r\n".encode()
        for word in words:
            data = word.encode()
            out += b"$%d\r\n%s\r\n" % (len(data), data)
        return out

    def __enter__(self) -> RedisMonitor:
        sock = socket.create_connection(self.address, timeout=5)
        self._sock = sock
        if self.password:
            sock.sendall(self._command("AUTH", self.password))
            assert self._reply() == b"+OK"
        sock.sendall(self._command("MONITOR"))
        assert self._reply() == b"+OK"
        sock.setblocking(False)
        self._thread.start()
        return self

    def _reply(self) -> bytes:
        """One reply line; whatever follows it stays in the buffer for the reader thread."""
        assert self._sock is not None
        while b"\r\n" not in self._buffer:
            self._buffer += self._sock.recv(4096)
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        return line

    def _read(self) -> None:
        assert self._sock is not None
        buffer = self._buffer
        while not self._stop.is_set():
            ready, _, _ = select.select([self._sock], [], [], 0.2)
            if not ready:
                continue
            chunk = self._sock.recv(65536)
            if not chunk:
                return
            buffer += chunk
            *lines, buffer = buffer.split(b"\r\n")
            for line in lines:
                match = self.LINE.match(line)
                if match:
                    db, command, key = match.groups()
                    self.seen.append((int(db), command.decode().upper(), key.decode()))

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()

    def commands_on(self, key: str) -> set[str]:
        return {command for db, command, seen in self.seen if seen == key and db == self.db}


# -- helpers --------------------------------------------------------------------------------
@asynccontextmanager
async def widget_session(
    url: str, session_id: str, route: str | None = None
) -> AsyncIterator[tuple[Any, asyncio.Queue[dict]]]:
    """A widget's Socket.IO session over long polling (the widget's fallback transport), confirmed;
    yields the client and the queue its bot messages arrive in. `route`: the per-connection key
    the widget sends (`ss_route`); without it the proxy keeps the session by client address."""
    import socketio

    confirmed = asyncio.Event()
    replies: asyncio.Queue[dict] = asyncio.Queue()
    client = socketio.AsyncClient(reconnection=False)

    @client.on("session_confirm")
    async def _confirm(_: object) -> None:
        confirmed.set()

    @client.on("bot_uttered")
    async def _uttered(data: dict) -> None:
        await replies.put(data)

    target = f"{url}?ss_route={route}" if route else url
    await client.connect(target, transports=["polling"], socketio_path="socket.io")
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 30)
        yield client, replies
    finally:
        await client.disconnect()


async def say(client: httpx.AsyncClient, url: str, sender: str, text: str) -> list[dict]:
    response = await client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
    response.raise_for_status()
    replies = response.json()
    assert replies, f"no reply to {text!r} for {sender}"
    return replies


def joined(replies: list[dict]) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies)


async def chat(client: httpx.AsyncClient, url: str, sender: str, turns: list[str]) -> None:
    for text in turns:
        await say(client, url, sender, text)


async def escalate(client: httpx.AsyncClient, url: str, sender: str, question: str) -> str:
    """Hand-off, the question, no contact details, then a status check: the reference shown."""
    await say(client, url, sender, HANDOFF)
    await say(client, url, sender, question)
    created = joined(await say(client, url, sender, "/deny"))
    found = REFERENCE.findall(created)
    assert len(set(found)) == 1, f"{sender}: no single reference in {created!r}"
    status = joined(await say(client, url, sender, f"status {found[0]}"))
    assert found[0] in status, f"{sender}: the status answer does not name {found[0]}"
    return found[0]


def stored_events(engine: sa.engine.Engine, sender: str) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT id, type_name, timestamp, data FROM events WHERE sender_id = :sender ORDER BY id"
            ),
            {"sender": sender},
        ).all()
    return [{"id": r.id, "type": r.type_name, "timestamp": r.timestamp, **json.loads(r.data)} for r in rows]


def assert_well_formed(sender: str, events: list[dict]) -> list[str]:
    """One session; every turn is one user message, the bot's replies, and one action_listen
    at its end; timestamps never go back. Returns the user texts in stored order."""
    assert events, f"{sender}: nothing stored"
    assert [e["type"] for e in events].count("session_started") == 1, sender
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps), f"{sender}: events stored out of order"
    starts = [i for i, e in enumerate(events) if e["type"] == "user"]
    assert starts, f"{sender}: no user message stored"
    for begin, end in zip(starts, [*starts[1:], len(events)], strict=True):
        turn = events[begin:end]
        listens = [
            i for i, e in enumerate(turn) if e["type"] == "action" and e.get("name") == "action_listen"
        ]
        assert listens == [len(turn) - 1], f"{sender}: turn {turn[0].get('text')!r} is broken"
        assert any(e["type"] == "bot" for e in turn), f"{sender}: {turn[0].get('text')!r} unanswered"
    return [events[i]["text"] for i in starts]


# -- tests ----------------------------------------------------------------------------------
async def test_concurrent_conversations_through_two_replicas(scaled, db: sa.engine.Engine) -> None:
    run_id = uuid.uuid4().hex[:8]
    senders = [f"scaled-{run_id}-{n:02d}" for n in range(12)]
    escalating = senders[:3]
    chatting = senders[3:]
    questions = {
        sender: f"Can my school give my daughter's class photos to a magazine? (case {n})"
        for n, sender in enumerate(escalating, start=1)
    }
    scripts = {sender: CHATS[n % len(CHATS)] for n, sender in enumerate(chatting)}
    bursting = chatting
    before = scaled.requests_per_replica()
    url = scaled.internal_url  # the REST channel is served on the proxy's internal listener

    with RedisMonitor(scaled.redis_url) as monitor:
        async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=32)) as client:
            # 12 conversations at once, 4 turns each; each conversation's turns in sequence.
            results = await asyncio.gather(
                *(escalate(client, url, s, questions[s]) for s in escalating),
                *(chat(client, url, s, scripts[s]) for s in chatting),
            )
            # Users who send more messages before the first is answered: all at once. Without a
            # shared lock store this interleaves (and loses) events between the replicas.
            await asyncio.gather(*(say(client, url, s, text) for s in bursting for text in BURST))
        await asyncio.sleep(0.5)  # the last DEL reaches MONITOR
    references = dict(zip(escalating, results[: len(escalating)], strict=True))

    # Every conversation complete and in order in the shared database.
    for sender in senders:
        texts = assert_well_formed(sender, stored_events(db, sender))
        if sender in escalating:
            expected = [HANDOFF, questions[sender], "/deny", f"status {references[sender]}"]
            assert texts == expected, sender
        elif sender in bursting:
            assert texts[:4] == scripts[sender], sender
            assert sorted(texts[4:]) == sorted(BURST), sender
        else:
            assert texts == scripts[sender], sender

    # The conversations really ran at the same time: their events interleave in the table.
    with db.connect() as conn:
        order = [
            r.sender_id
            for r in conn.execute(
                sa.text("SELECT sender_id FROM events WHERE sender_id LIKE :p ORDER BY id"),
                {"p": f"scaled-{run_id}-%"},
            )
        ]
    runs = sum(1 for a, b in zip(order, order[1:]) if a != b) + 1
    assert runs > len(senders) * 2, "the conversations did not overlap"

    # Escalations recorded exactly once each, as the user was told.
    with Session(db) as session:
        inquiries = session.execute(sa.select(Inquiry)).scalars().all()
    assert len(inquiries) == len(escalating)
    by_sender = {inquiry.sender_key: inquiry for inquiry in inquiries}
    for sender in escalating:
        inquiry = by_sender[sender_key(sender)]
        assert inquiry.reference == references[sender]
        assert inquiry.question == questions[sender]
        assert (inquiry.channel, inquiry.status, inquiry.reason) == ("rest", "new", "human_handoff")
        assert inquiry.contact_consent is False and inquiry.contact is None

    # Both replicas served this traffic, all of it through nginx.
    after = scaled.requests_per_replica()
    served = {port: after[port] - before[port] for port in after}
    assert set(served) == set(scaled.rasa_ports)
    assert all(count > 0 for count in served.values()), served
    assert sum(served.values()) == len(senders) * 4 + len(bursting) * len(BURST)

    if scaled.lock_dir is not None:
        # One machine: the conversations' locks were in lock files, all given back, and Redis
        # saw no lock commands.
        store = FileLockStore(scaled.lock_dir)
        for sender in senders:
            assert store.path(sender).exists(), f"{sender}: no lock file"
            assert not monitor.commands_on(f"safeshare:lock:{sender}")
            assert not monitor.commands_on(f"safeshare:lockseq:{sender}")
        assert store.held() == []
    else:
        # Every conversation's lock tickets were taken and given back in the shared Redis (by our
        # lock store's scripts, which MONITOR shows command by command), and nothing is left.
        for sender in senders:
            commands = monitor.commands_on(f"safeshare:lock:{sender}")
            assert {"ZADD", "ZREM", "DEL"} <= commands, f"{sender}: lock commands seen {commands}"
            assert "INCR" in monitor.commands_on(f"safeshare:lockseq:{sender}")
    import redis

    client = redis.Redis.from_url(scaled.redis_url)
    try:
        assert list(client.scan_iter(f"safeshare:lock*:scaled-{run_id}-*")) == []
    finally:
        client.close()


async def test_widget_socketio_session_is_sticky_through_the_proxy(scaled, db: sa.engine.Engine) -> None:
    """Long polling only (the widget's first transport): every request of the session must reach
    the replica that created it, or that replica would answer 400 "Invalid session"."""
    session_id = f"widget-{uuid.uuid4().hex[:12]}"
    log = scaled.access_log
    skip = len(log.read_text(encoding="utf-8").splitlines())
    async with widget_session(scaled.public_url, session_id) as (client, replies):
        await client.emit("user_uttered", {"message": "what is a deepfake?", "session_id": session_id})
        first = await asyncio.wait_for(replies.get(), 60)
    assert "deepfake" in str(first.get("text", "")).lower()

    lines = log.read_text(encoding="utf-8").splitlines()[skip:]
    polls = [line for line in lines if '/socket.io/" ' in line]
    statuses = [re.search(r'" (\d{3}) upstream=', line).group(1) for line in polls]
    # 499: the poll still pending when the client disconnected. A poll on the wrong replica: 400.
    assert set(statuses) <= {"200", "499"} and statuses.count("200") >= 4, polls
    upstreams = {re.search(r"upstream=\S+:(\d+)", line).group(1) for line in polls}
    assert len(upstreams) == 1 and int(upstreams.pop()) in scaled.rasa_ports
    # Rasa says the replies as it goes and saves the tracker after the turn.
    texts: list[str] = []
    for _ in range(60):
        texts = [e["text"] for e in stored_events(db, session_id) if e["type"] == "user"]
        if texts:
            break
        await asyncio.sleep(0.25)
    assert texts == ["what is a deepfake?"]


def _socketio_upstreams(lines: list[str]) -> list[tuple[str, int]]:
    """(status, Rasa port) of each Socket.IO request in these access-log lines."""
    out = []
    for line in lines:
        if '/socket.io/" ' in line:
            match = re.search(r'" (\d{3}) upstream=\S+:(\d+)', line)
            assert match, line
            out.append((match.group(1), int(match.group(2))))
    return out


async def test_widget_connections_with_their_own_keys_spread_over_the_replicas(scaled) -> None:
    """Widget connections from one address (every user behind a school's network) each send their
    own random key: each stays on one replica, and together they use both. 20 connections: the
    chance that consistent hashing puts them all on one of two replicas is 2 in a million."""
    log = scaled.access_log
    used: set[int] = set()
    for n in range(20):
        skip = len(log.read_text(encoding="utf-8").splitlines())
        session_id = f"widget-route-{uuid.uuid4().hex[:12]}"
        async with widget_session(scaled.public_url, session_id, route=uuid.uuid4().hex[:16]):
            pass
        await asyncio.sleep(0.2)  # the last poll's log line
        polls = _socketio_upstreams(log.read_text(encoding="utf-8").splitlines()[skip:])
        assert {status for status, _ in polls} <= {"200", "499"}, (n, polls)
        ports = {port for _, port in polls}
        assert len(ports) == 1 and ports <= set(scaled.rasa_ports), (n, polls)
        used |= ports
    assert used == set(scaled.rasa_ports)


async def test_a_push_from_any_replica_reaches_the_widget(scaled) -> None:
    """A staff answer is pushed through whichever replica the console's call lands on; the
    widget is connected to one of them. Sent to each replica in turn, the push must arrive
    every time (the replicas relay Socket.IO messages through Redis)."""
    session_id = f"widget-{uuid.uuid4().hex[:12]}"
    token = get_settings().rasa_token
    async with widget_session(scaled.public_url, session_id) as (client, replies):
        await client.emit("user_uttered", {"message": "hi", "session_id": session_id})
        await asyncio.wait_for(replies.get(), 60)
        await asyncio.sleep(1)
        while not replies.empty():
            replies.get_nowait()
        async with httpx.AsyncClient(timeout=60) as http:
            for port in scaled.rasa_ports * 2:
                pushed = await http.post(
                    f"http://127.0.0.1:{port}/conversations/{session_id}/trigger_intent",
                    params={"output_channel": "socketio", "token": token},
                    json={"name": "help"},
                )
                assert pushed.status_code == 200, pushed.text
                arrived = await asyncio.wait_for(replies.get(), 30)
                assert arrived.get("text"), f"push through replica {port}: {arrived}"
                await asyncio.sleep(1)
                while not replies.empty():
                    replies.get_nowait()


def test_rest_channel_and_rasa_api_are_internal_only(scaled) -> None:
    token = get_settings().rasa_token
    public = httpx.post(
        f"{scaled.public_url}/webhooks/rest/webhook", json={"sender": "outsider", "message": "hi"}, timeout=30
    )
    assert public.status_code == 404
    tracker = httpx.get(
        f"{scaled.public_url}/conversations/outsider/tracker", params={"token": token}, timeout=30
    )
    assert tracker.status_code in (404, 502)  # the web app's 404, or no web app: not Rasa
    assert "sender_id" not in tracker.text
    status = httpx.get(f"{scaled.internal_url}/status", params={"token": token}, timeout=30)
    assert status.status_code == 200
    assert status.json()["model_file"].endswith("safeshare.tar.gz")


def test_web_app_behind_the_public_listener(scaled) -> None:
    if not scaled.with_web:
        pytest.skip("safeshare/web/__main__.py does not exist: no web app to route to")
    health = httpx.get(f"{scaled.public_url}/healthz", timeout=30)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    demo = httpx.get(f"{scaled.public_url}/demo", timeout=30)
    assert demo.status_code == 200
    assert "safeshare-widget.js" in demo.text
    console = httpx.get(f"{scaled.public_url}/console", timeout=30, follow_redirects=True)
    assert console.status_code == 200  # the login page
    assert str(console.url).startswith(f"{scaled.public_url}/console")
    lines = scaled.access_log.read_text(encoding="utf-8").splitlines()
    demo_lines = [line for line in lines if '"GET /demo" 200' in line]
    assert demo_lines and f"upstream=127.0.0.1:{scaled.ports.web} " in demo_lines[-1]


def test_demo_widget_connects_to_the_public_listener(scaled) -> None:
    if not scaled.with_web:
        pytest.skip("no web app")
    demo = httpx.get(f"{scaled.public_url}/demo", timeout=30)
    assert f'data-server-url="{scaled.public_url}"' in demo.text
    assert scaled.internal_url not in demo.text


def test_retention_job_runs_on_the_shared_stores(scaled, db: sa.engine.Engine) -> None:
    """What the compose file's `retention` service runs, against the tables Rasa and the
    migrations made. Last in this module: with --days 0 every conversation is idle."""
    with db.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
        open_inquiries = conn.execute(sa.text("SELECT count(*) FROM inquiries")).scalar_one()
    assert stored > 0
    result = subprocess.run(
        [sys.executable, "-m", "safeshare", "retention", "--days", "0"],
        cwd=PROJECT_ROOT,
        env=scaled.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"conversation_events: {stored}" in result.stdout
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one() == 0
        # Open inquiries are not expired, however old.
        assert conn.execute(sa.text("SELECT count(*) FROM inquiries")).scalar_one() == open_inquiries
