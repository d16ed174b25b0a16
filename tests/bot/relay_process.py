"""The relay (`python -m bot`) as a subprocess against a fake Bot API server, for the tests."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safeshare import launcher
from tests.fakes.telegram_api import FakeTelegramServer


@dataclass
class RunningRelay:
    """`python -m bot` as a subprocess, talking to a fake Bot API server."""

    tg: FakeTelegramServer
    process: subprocess.Popen
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def exchange(
        self,
        update: dict[str, Any],
        chat_id: int,
        *,
        settle: float = 0.5,
        timeout: float = 45.0,
        expect: int = 1,
    ) -> list[dict[str, Any]]:
        """Push an update; the messages the relay sent to `chat_id` in answer, once it has sent
        at least `expect` and then nothing for `settle` seconds."""
        start = self.tg.mark()
        self.tg.push_update(update)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the relay exited with {self.process.returncode}:\n" + self.log_text()[-3000:]
                )
            entries = self._entries(start, chat_id)
            sent = [
                e for e in entries if e["method"] in ("sendMessage", "sendDocument") and e["status"] == 200
            ]
            quiet = not entries or time.monotonic() - entries[-1]["at"] >= settle
            if len(sent) >= expect and quiet:
                return [dict(e["params"], _method=e["method"]) for e in sent]
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the relay sent {len(sent)} messages to {chat_id}; "
                    f"calls: {[e['method'] for e in entries]}"
                )
            time.sleep(0.05)

    def silence(self, update: dict[str, Any], chat_id: int, wait: float = 2.0) -> list[str]:
        """Push an update that must get no answer; the methods called for that chat meanwhile."""
        start = self.tg.mark()
        self.tg.push_update(update)
        time.sleep(wait)
        return [e["method"] for e in self._entries(start, chat_id)]

    def _entries(self, start: int, chat_id: int) -> list[dict[str, Any]]:
        with self.tg._lock:  # noqa: SLF001 - a consistent snapshot
            log = list(self.tg.call_log[start:])
        return [e for e in log if str(e["params"].get("chat_id")) == str(chat_id)]


def start_relay(
    tg: FakeTelegramServer, rasa_url: str, log: Path, extra_env: dict[str, str] | None = None
) -> RunningRelay:
    env = launcher.base_env(
        {
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_URL": tg.base_url,
            "RASA_URL": rasa_url,
            "SAFESHARE_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
    )
    start = tg.mark()
    process = subprocess.Popen(
        launcher.telegram_argv(),
        cwd=launcher.PROJECT_ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    relay = RunningRelay(tg, process, log, env)
    ready = "getUpdates" if env.get("TELEGRAM_MODE", "polling") == "polling" else "setWebhook"
    deadline = time.monotonic() + 60
    while not any(m == ready for m, _ in tg.calls[start:]):
        if process.poll() is not None:
            raise RuntimeError(f"the relay exited with {process.returncode}:\n{relay.log_text()}")
        if time.monotonic() > deadline:
            stop_relay(relay)
            raise TimeoutError(f"the relay did not start:\n{relay.log_text()}")
        time.sleep(0.1)
    return relay


def stop_relay(relay: RunningRelay) -> None:
    if relay.process.poll() is None:
        relay.process.terminate()
        try:
            relay.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            relay.process.kill()
            relay.process.wait()
