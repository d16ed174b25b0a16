"""Fault injection: parts of the assistant fail mid-conversation, on a stack of its own (these
tests kill processes, so not the shared `stack`), started with safeshare.launcher.

Set-up: action server + Rasa on free ports, the tracker store in SQLite under a temporary var/.
With TEST_POSTGRES_URL, the inquiry database is a fresh PostgreSQL database reached through a
TcpProxy (tests/fakes/tcp_proxy.py) that a test can cut; with TEST_REDIS_URL, the lock store is
Redis, also behind a TcpProxy. Without them those two tests skip, saying why.

What happens (each test asserts it; docs/benchmarks.md summarises):
- Action server killed: turns answered by a response alone still work; a turn that needs a
  custom action gets a kind "something went wrong, try again in a minute; 999" message
  (safeshare/rasa_ext/remote_action.py); a conversation that starts meanwhile is answered normally
  (Rasa's built-in session start stands in for ours). After a restart the conversation goes on.
- Inquiry database down: the escalation still gives a reference (the inquiry goes to the spool
  under var/spool), a status check finds it as "new", and once the database is back the
  spool's background flush stores it exactly once.
- Redis (lock store) cut: the lock store falls back to in-process locks, so messages are still
  answered (one replica: nothing is lost); once Redis is back, locks go to Redis again.
- Rasa killed mid-request and restarted: the request in flight fails at the transport level;
  after the restart the conversation resumes from the tracker store (earlier events, the
  language the user chose).
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from safeshare import launcher
from safeshare.identity import REFERENCE_IN_TEXT as REFERENCE
from safeshare.settings import get_settings
from tests.fakes.tcp_proxy import TcpProxy
from tests.hardening.channels import NOTES

pytestmark = [pytest.mark.model, pytest.mark.slow]

DEEPFAKE_EN = "face, voice or actions"
DEEPFAKE_ZH = "深偽"


@dataclass
class FaultStack:
    workdir: Path
    ports: launcher.Ports
    env: dict[str, str]
    token: str
    tracker_db_url: str
    database_url: str
    direct_database_url: str | None = None
    pg_proxy: TcpProxy | None = None
    redis_proxy: TcpProxy | None = None
    stack: launcher.Stack = field(init=False)

    def __post_init__(self) -> None:
        self.stack = launcher.Stack(self.ports, self.env)

    @property
    def rasa_url(self) -> str:
        return self.stack.rasa_url

    @property
    def spool(self) -> Path:
        return self.workdir / "var" / "spool"

    def start_actions(self) -> None:
        process = self.stack.start("actions", launcher.actions_argv(self.ports), self.workdir / "actions.log")
        launcher.wait_http(f"http://127.0.0.1:{self.ports.actions}/health", process=process)

    def start_rasa(self) -> None:
        argv = launcher.rasa_argv(self.ports, self.token, launcher.MODEL)
        process = self.stack.start("rasa", argv, self.workdir / "rasa.log")
        launcher.wait_rasa_ready(self.rasa_url, process=process)

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash or the OOM killer would: no clean shutdown."""
        process = self.stack.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def ensure_running(self) -> None:
        for name, start in (("actions", self.start_actions), ("rasa", self.start_rasa)):
            process = self.stack.processes.get(name)
            if process is None or process.poll() is not None:
                self.stack.processes.pop(name, None)
                start()

    def post(self, sender: str, text: str, timeout: float = 60) -> httpx.Response:
        return httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=timeout,
        )

    def chat(self, sender: str, text: str) -> list[dict]:
        response = self.post(sender, text)
        assert response.status_code == 200, (response.status_code, response.text[:300])
        return response.json()

    def tracker(self, sender: str) -> dict:
        response = httpx.get(
            f"{self.rasa_url}/conversations/{sender}/tracker", params={"token": self.token}, timeout=30
        )
        response.raise_for_status()
        return response.json()


def said(replies: list[dict]) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies)


def payloads(replies: list[dict]) -> list[str]:
    return [b.get("payload", "") for r in replies for b in r.get("buttons") or []]


def sender(kind: str) -> str:
    return f"fault-{kind}-{uuid.uuid4().hex[:8]}"


def _proxied_url(url: str, proxy: TcpProxy) -> str:
    """`url` with its host and port replaced by the proxy's (credentials and database kept)."""
    if url.startswith("redis"):
        parsed = urlparse(url)
        credentials = parsed.netloc.rsplit("@", 1)[0] + "@" if "@" in parsed.netloc else ""
        return parsed._replace(netloc=f"{credentials}127.0.0.1:{proxy.port}").geturl()
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


def _tcp_target(url: str, default_port: int) -> tuple[str, int] | None:
    if url.startswith("redis"):
        parsed = urlparse(url)
        host, port = parsed.hostname, parsed.port or default_port
    else:
        parsed_url = make_url(url)
        host, port = parsed_url.host, parsed_url.port or default_port
    if not host or host.startswith("/"):
        return None  # a Unix socket cannot be proxied over TCP
    return host, port


@pytest.fixture(scope="module")
def faulty(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    from safeshare.db.migrate import upgrade
    from safeshare.db.scratch import scratch_database

    workdir = tmp_path_factory.mktemp("faults")
    var = workdir / "var"
    var.mkdir()
    admin_url = os.environ.get("TEST_POSTGRES_URL", "")
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    pg_target = _tcp_target(admin_url, 5432) if admin_url else None
    redis_target = _tcp_target(redis_url, 6379) if redis_url else None
    with ExitStack() as cleanup:  # unwinds last in, first out: proxies closed, then the database dropped
        pg_proxy = redis_proxy = None
        direct_url = None
        if pg_target:
            direct_url = cleanup.enter_context(scratch_database(admin_url, "safeshare_faults"))
            pg_proxy = TcpProxy(*pg_target)
            cleanup.callback(pg_proxy.close)
            database_url = _proxied_url(direct_url, pg_proxy)
        else:
            database_url = f"sqlite:///{var / 'safeshare.db'}"
            upgrade(database_url)
        lock_url = ""
        if redis_target:
            redis_proxy = TcpProxy(*redis_target)
            cleanup.callback(redis_proxy.close)
            lock_url = _proxied_url(redis_url, redis_proxy)
        ports = launcher.Ports.free()
        token = get_settings().rasa_token
        tracker_url = f"sqlite:///{var / 'tracker.db'}"
        env = launcher.stack_env(
            ports,
            {
                "SAFESHARE_VAR_DIR": str(var),
                "DATABASE_URL": database_url,
                "TRACKER_DB_URL": tracker_url,
                "REDIS_URL": lock_url,
                "RASA_TOKEN": token,
            },
        )
        env.pop("TELEGRAM_BOT_TOKEN", None)
        faults = FaultStack(
            workdir, ports, env, token, tracker_url, database_url, direct_url, pg_proxy, redis_proxy
        )
        cleanup.callback(faults.stack.stop)
        faults.start_actions()
        faults.start_rasa()
        yield faults


# ------------------------------------------------------------------------------ action server


def test_action_server_killed_mid_conversation(faulty: FaultStack) -> None:
    faulty.ensure_running()
    me = sender("actions")
    first = faulty.chat(me, "how do I change my privacy settings")
    assert '/inform{"platform":"whatsapp"}' in payloads(first)

    faulty.kill("actions")
    # The answer to the platform needs a custom action: a kind message instead of silence.
    during = faulty.chat(me, '/inform{"platform":"whatsapp"}')
    assert "something went wrong" in said(during) and "999" in said(during), during
    # What a response alone answers still works, in the same conversation.
    assert DEEPFAKE_EN in said(faulty.chat(me, "what is a deepfake?"))
    # A conversation that starts now: Rasa's own session start stands in for ours.
    newcomer = faulty.chat(sender("newcomer"), "what is a deepfake?")
    assert DEEPFAKE_EN in said(newcomer), newcomer
    # In Chinese, the apology is in Chinese.
    chinese = sender("actions-zh")
    faulty.chat(chinese, "點樣改私隱設定？")
    assert "999" in said(zh := faulty.chat(chinese, '/inform{"platform":"whatsapp"}')), zh
    assert "抱歉" in said(zh), zh
    assert faulty.stack.processes["rasa"].poll() is None

    started = time.monotonic()
    faulty.start_actions()
    restart = time.monotonic() - started
    after = faulty.chat(me, '/inform{"platform":"whatsapp"}')
    assert "WhatsApp" in said(after)
    assert DEEPFAKE_EN in said(faulty.chat(sender("after-actions"), "what is a deepfake?"))
    NOTES.append(
        f"faults, action server down: custom-action turn -> {said(during)[:60]!r}; "
        f"new conversation answered; restarted in {restart:.0f} s and the conversation went on"
    )


# ------------------------------------------------------------------------------ inquiry database


def _stored(faulty: FaultStack, reference: str) -> int:
    engine = sa.create_engine(faulty.direct_database_url, future=True)
    try:
        with engine.connect() as conn:
            return conn.execute(
                sa.text("SELECT count(*) FROM inquiries WHERE reference = :r"), {"r": reference}
            ).scalar_one()
    finally:
        engine.dispose()


def test_escalation_during_a_database_outage_arrives_once(faulty: FaultStack) -> None:
    if faulty.pg_proxy is None:
        pytest.skip("TEST_POSTGRES_URL is not set (or is a Unix socket): database outage test skipped")
    faulty.ensure_running()
    me = sender("db")
    faulty.chat(me, "I want to talk to a real person")
    faulty.chat(me, "Can my child's school share his photo with a newspaper?")
    faulty.pg_proxy.cut()
    try:
        replies = faulty.chat(me, "/deny")
        found = REFERENCE.search(said(replies))
        assert found, said(replies)
        reference = found.group(0)
        assert (faulty.spool / f"{reference}.json").exists()
        assert _stored(faulty, reference) == 0
        # A status check during the outage finds the spooled inquiry.
        status = faulty.chat(sender("status"), f"status {reference}")
        assert reference in said(status)
    finally:
        faulty.pg_proxy.restore()
    started = time.monotonic()
    while _stored(faulty, reference) == 0 and time.monotonic() - started < 90:
        time.sleep(1)
    waited = time.monotonic() - started
    assert _stored(faulty, reference) == 1
    assert not (faulty.spool / f"{reference}.json").exists()
    time.sleep(2)
    assert _stored(faulty, reference) == 1
    NOTES.append(
        f"faults, inquiry database down: reference {reference} given, spooled, "
        f"stored once {waited:.0f} s after the database came back"
    )


# ------------------------------------------------------------------------------ Redis lock store


def test_lock_store_outage(faulty: FaultStack) -> None:
    if faulty.redis_proxy is None:
        pytest.skip("TEST_REDIS_URL is not set: lock store outage test skipped")
    faulty.ensure_running()
    me = sender("redis")
    assert DEEPFAKE_EN in said(faulty.chat(me, "what is a deepfake?"))
    faulty.redis_proxy.cut()
    try:
        started = time.monotonic()
        during = faulty.post(me, "How do I complain to the privacy commissioner?", timeout=120)
        took = time.monotonic() - started
        newcomer = faulty.post(sender("redis-new"), "what is a deepfake?", timeout=120)
    finally:
        faulty.redis_proxy.restore()
    assert faulty.stack.processes["rasa"].poll() is None
    assert during.status_code == 200 and "OPS001" in said(during.json()), during.text[:300]
    assert newcomer.status_code == 200 and DEEPFAKE_EN in said(newcomer.json()), newcomer.text[:300]
    after = faulty.chat(me, "what is a deepfake?")
    assert DEEPFAKE_EN in said(after)
    events = faulty.tracker(me)["events"]
    user_texts = [e.get("text") for e in events if e.get("event") == "user"]
    assert user_texts.count("How do I complain to the privacy commissioner?") == 1  # stored once
    NOTES.append(
        f"faults, Redis cut: answered from in-process locks in {took:.1f} s; "
        "Rasa stayed up and answered as usual once Redis was back"
    )


# ------------------------------------------------------------------------------ Rasa


def test_rasa_killed_mid_request_resumes_from_the_tracker_store(faulty: FaultStack) -> None:
    faulty.ensure_running()
    me = sender("rasa")
    faulty.chat(me, '/set_language{"language_choice":"zh"}')
    assert DEEPFAKE_ZH in said(faulty.chat(me, "what is a deepfake?"))

    outcome: dict[str, object] = {}

    def in_flight() -> None:
        try:
            outcome["response"] = faulty.post(me, "x " * 25_000 + "what is a deepfake?", timeout=120)
        except httpx.HTTPError as error:
            outcome["error"] = error

    thread = threading.Thread(target=in_flight)
    thread.start()
    time.sleep(0.5)
    faulty.kill("rasa")
    thread.join(60)
    assert "error" in outcome or "response" in outcome
    started = time.monotonic()
    faulty.start_rasa()
    restart = time.monotonic() - started

    events = faulty.tracker(me)["events"]
    assert "what is a deepfake?" in [e.get("text") for e in events if e.get("event") == "user"]
    # The language chosen before the crash still holds: the answer to English is Chinese.
    assert DEEPFAKE_ZH in said(faulty.chat(me, "what is a deepfake?"))
    NOTES.append(
        f"faults, Rasa killed: the request in flight got "
        f"{type(outcome['error']).__name__ if 'error' in outcome else 'an answer'}; "
        f"restarted in {restart:.0f} s, the conversation resumed (language kept)"
    )
