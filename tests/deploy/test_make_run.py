"""`make run` (`python -m safeshare run`) as a user starts it: the processes it prints, serving.

By default it runs two Rasa processes behind nginx with a private Redis (safeshare/topology.py),
so that both cores of a 2-core machine answer messages; SAFESHARE_RASA_PROCESSES=1 (or a machine
without nginx or redis-server) gives the single Rasa process. Either way the addresses it prints
are the ones the settings name, Ctrl-C stops every process it started, and the private Redis
leaves nothing behind.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from safeshare import launcher
from safeshare.rasa_ext.lock_store import FileLockStore
from safeshare.settings import PROJECT_ROOT
from safeshare.topology import why_not_replicated

pytestmark = [pytest.mark.model]

REST = "/webhooks/rest/webhook"


class Run:
    """`python -m safeshare run` in its own session, its output collected by a thread."""

    def __init__(self, tmp_path: Path, processes: int) -> None:
        self.web_port, self.rasa_port = launcher.free_port(), launcher.free_port()
        self.var_dir = tmp_path / "var"
        env = launcher.base_env(
            {
                "SAFESHARE_VAR_DIR": str(self.var_dir),
                "SAFESHARE_WEB_PORT": str(self.web_port),
                "RASA_URL": f"http://127.0.0.1:{self.rasa_port}",
                "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{launcher.free_port()}/webhook",
                "SAFESHARE_RASA_PROCESSES": str(processes),
                "SAFESHARE_LOG_LEVEL": "WARNING",
            }
        )
        # The defaults a user gets, whatever this shell has set.
        for name in (
            "TELEGRAM_BOT_TOKEN",
            "REDIS_URL",
            "SAFESHARE_LOCK_DIR",
            "DATABASE_URL",
            "TRACKER_DB_URL",
            "RASA_TOKEN",
            "SAFESHARE_PUBLIC_URL",
            "RASA_PUBLIC_URL",
            "SAFESHARE_SECRET_KEY",
        ):
            env.pop(name, None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "safeshare", "run"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self, timeout: float = 400) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "Press Ctrl-C to stop everything." in self.output:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        pytest.fail(f"`safeshare run` did not get ready:\n{self.output[-4000:]}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=90)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self._reader.join(timeout=5)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _say(url: str, sender: str, text: str) -> str:
    response = httpx.post(f"{url}{REST}", json={"sender": sender, "message": text}, timeout=60)
    response.raise_for_status()
    return "\n".join(str(r.get("text") or "") for r in response.json())


def test_two_rasa_processes_by_default_behind_the_printed_addresses(
    tmp_path: Path, trained_model: Path
) -> None:
    why = why_not_replicated("")
    if why:
        pytest.skip(why)
    run = Run(tmp_path, processes=2)
    try:
        run.wait_ready()
        rasa_url = f"http://127.0.0.1:{run.rasa_port}"
        web_url = f"http://127.0.0.1:{run.web_port}"
        assert f"Website widget demo : {web_url}/demo" in run.output
        assert f"curl -s {rasa_url}{REST}" in run.output
        line = next(x for x in run.lines if x.strip().startswith("Rasa "))
        replicas = [int(p) for p in re.findall(r"http://127\.0\.0\.1:(\d+)", line)]
        assert "2 processes behind nginx" in line and len(set(replicas)) == 2, line

        # Messages to the printed REST address are answered, by both processes.
        for n in range(6):
            assert "deepfake" in _say(rasa_url, f"make-run-{n}", "what is a deepfake?").lower()
        log = (run.var_dir / "log" / "nginx-access.log").read_text(encoding="utf-8")
        served = {int(port) for port in re.findall(rf'"POST {REST}" 200 upstream=127\.0\.0\.1:(\d+)', log)}
        assert served == set(replicas), log[-2000:]

        # The demo page sends the widget to the same public address, where Socket.IO is served.
        demo = httpx.get(f"{web_url}/demo", timeout=30)
        assert demo.status_code == 200 and f'data-server-url="{web_url}"' in demo.text
        handshake = httpx.get(f"{web_url}/socket.io/", params={"EIO": 4, "transport": "polling"}, timeout=30)
        assert handshake.status_code == 200 and '"sid"' in handshake.text

        # The conversation locks were lock files (both processes on this machine), all given back.
        locks = FileLockStore(run.var_dir / "run" / "locks")
        assert locks.path("make-run-0").exists() and locks.held() == []
        assert locks.folder.stat().st_mode & 0o077 == 0

        # The private Redis: loopback, a password, nothing written to disk.
        conf = (run.var_dir / "run" / "redis" / "redis.conf").read_text(encoding="utf-8")
        assert "bind 127.0.0.1" in conf and "requirepass " in conf and 'save ""' in conf
        assert (run.var_dir / "run" / "redis" / "redis.conf").stat().st_mode & 0o077 == 0
    finally:
        code = run.stop()
    assert code == 0, run.output[-3000:]
    for port in (run.rasa_port, run.web_port, *replicas):
        assert not _listening(port), f"port {port} still open after Ctrl-C"
    assert not list((run.var_dir / "run" / "redis").glob("*.rdb"))


def test_one_rasa_process_when_asked(tmp_path: Path, trained_model: Path) -> None:
    run = Run(tmp_path, processes=1)
    try:
        run.wait_ready()
        rasa_url = f"http://127.0.0.1:{run.rasa_port}"
        line = next(x for x in run.lines if x.strip().startswith("Rasa "))
        assert line.strip().endswith(": one process"), line
        assert "deepfake" in _say(rasa_url, "make-run-single", "what is a deepfake?").lower()
        assert not (run.var_dir / "run").exists()  # no nginx, no Redis
    finally:
        code = run.stop()
    assert code == 0, run.output[-3000:]
    assert not _listening(run.rasa_port) and not _listening(run.web_port)
