"""Start SafeShare's processes on one machine and stop them together.

`python -m safeshare run` (what `make run` calls) trains the model if the data changed, applies the
database migrations, then starts the action server, the Rasa server (REST and Socket.IO), the web
app (staff console, widget demo, school plans) and, when a token is set, the Telegram relay. Ctrl-C
stops everything. The tests use the same functions to start the real stack on free ports.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from safeshare.settings import PROJECT_ROOT, Settings

MODEL = PROJECT_ROOT / "models" / "safeshare.tar.gz"
FINGERPRINT = PROJECT_ROOT / "models" / "safeshare.fingerprint"
# What the trained model depends on: the NLU components and the modules they read (the crisis
# lexicon's patterns are concept features, the tokenizer's character classes, the language check).
TRAINING_INPUTS = (
    "config.yml",
    "domain.yml",
    "data",
    "safeshare/nlu",
    "safeshare/crisis.py",
    "safeshare/text.py",
    "safeshare/language.py",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _files(paths: Iterable[str]) -> list[Path]:
    out: list[Path] = []
    for name in paths:
        path = PROJECT_ROOT / name
        out += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return [p for p in out if "__pycache__" not in p.parts]


def training_fingerprint(paths: Iterable[str] = TRAINING_INPUTS) -> str:
    digest = hashlib.sha256()
    for path in _files(paths):
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def training_cache() -> Path:
    """Rasa's training cache for the NLU code as it is now (other code's caches are removed).

    Rasa reuses a trained component when its class, configuration and inputs are unchanged; it
    does not look at the code. A component whose output depends on the project's code (the concept
    features read the crisis lexicon's patterns) was restored from the cache with the old code's
    output after the code changed. A cache per version of the NLU code trains those again, while a
    change to the data alone still reuses what it can.
    """
    code = [name for name in TRAINING_INPUTS if name.startswith("safeshare/")]
    cache = PROJECT_ROOT / ".rasa" / f"cache-{training_fingerprint(code)[:16]}"
    for old in (PROJECT_ROOT / ".rasa").glob("cache*"):
        if old != cache and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    return cache


def base_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("PYTHONWARNINGS", "ignore")
    env.update(extra or {})
    return env


def ensure_spacy() -> None:
    from safeshare.nlu.spacy_builder import ensure_built

    if ensure_built():
        print("built the spaCy pipeline (build/spacy/safeshare_en)", flush=True)


def ensure_trained(force: bool = False) -> bool:
    """Train only when the data, config, domain or NLU code changed; True if it trained."""
    ensure_spacy()
    expected = training_fingerprint()
    if not force and MODEL.exists() and FINGERPRINT.exists():
        if json.loads(FINGERPRINT.read_text()).get("fingerprint") == expected:
            return False
    import yaml

    from safeshare.nlu.sentence_only import check_config

    check_config(yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"])
    print("training the Rasa model (a few minutes on 2 cores)...", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "--fixed-model-name",
            "safeshare",
            "--out",
            str(MODEL.parent),
        ],
        cwd=PROJECT_ROOT,
        env=base_env({"RASA_CACHE_DIRECTORY": str(training_cache())}),
        check=True,
    )
    FINGERPRINT.write_text(json.dumps({"fingerprint": expected}))
    return True


@dataclass
class Ports:
    rasa: int
    actions: int
    web: int

    @classmethod
    def free(cls) -> Ports:
        return cls(rasa=free_port(), actions=free_port(), web=free_port())

    @classmethod
    def from_settings(cls, settings: Settings) -> Ports:
        """The ports the settings name (RASA_URL, ACTION_ENDPOINT_URL, SAFESHARE_WEB_PORT)."""
        return cls(
            rasa=_port(settings.rasa_url),
            actions=_port(settings.action_endpoint_url),
            web=settings.web_port,
        )


def _port(url: str) -> int:
    parsed = urlsplit(url)
    return parsed.port or (443 if parsed.scheme == "https" else 80)


@dataclass
class Stack:
    ports: Ports
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.web}"

    def start(self, name: str, argv: list[str], log: Path | None = None) -> subprocess.Popen:
        stream = open(log, "ab") if log else None  # noqa: SIM115
        process = subprocess.Popen(
            argv,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def stop(self, name: str | None = None) -> None:
        names = [name] if name else list(reversed(self.processes))
        for key in names:
            process = self.processes.pop(key, None)
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def stack_env(ports: Ports, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports.actions}/webhook",
        "RASA_URL": f"http://127.0.0.1:{ports.rasa}",
        "SAFESHARE_WEB_PORT": str(ports.web),
        "SAFESHARE_PUBLIC_URL": os.environ.get("SAFESHARE_PUBLIC_URL", f"http://127.0.0.1:{ports.web}"),
        # A Rasa server parses one message at a time: TensorFlow's thread pools only add contention
        # with the other processes (docs/benchmarks.md). Training (base_env) keeps them.
        "TF_INTER_OP_PARALLELISM_THREADS": os.environ.get("TF_INTER_OP_PARALLELISM_THREADS", "1"),
        "TF_INTRA_OP_PARALLELISM_THREADS": os.environ.get("TF_INTRA_OP_PARALLELISM_THREADS", "1"),
    }
    env.update(extra or {})
    return base_env(env)


def actions_argv(ports: Ports) -> list[str]:
    return [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(ports.actions)]


def rasa_command(*args: str) -> list[str]:
    """`rasa <args>` with the project's extensions installed (safeshare/rasa_ext/server.py)."""
    return [sys.executable, "-m", "safeshare.rasa_ext.server", *args]


def rasa_argv(ports: Ports, token: str, model: Path = MODEL) -> list[str]:
    return rasa_command(
        "run",
        "--model",
        str(model),
        "--enable-api",
        # One word: a token that starts with "-" (1 in 64 of token_urlsafe's) would otherwise be
        # read by Rasa's argument parser as an option, and Rasa would not start.
        f"--auth-token={token}",
        "--cors",
        "*",
        "--port",
        str(ports.rasa),
        "--interface",
        "127.0.0.1",
        "--endpoints",
        "endpoints.yml",
        "--credentials",
        "credentials.yml",
    )


def web_argv(ports: Ports) -> list[str]:
    return [sys.executable, "-m", "safeshare.web", "--port", str(ports.web)]


def telegram_argv() -> list[str]:
    return [sys.executable, "-m", "bot"]


def wait_http(url: str, timeout: float = 180, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready after {timeout:.0f}s")


def wait_rasa_ready(url: str, timeout: float = 240, process: subprocess.Popen | None = None) -> None:
    """Rasa answers /status only once a model is loaded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"Rasa exited with {process.returncode}")
        try:
            response = httpx.get(f"{url}/", timeout=2)
            if response.status_code == 200:
                parsed = httpx.post(f"{url}/model/parse", json={"text": "hi"}, timeout=10)
                if parsed.status_code in (200, 401, 403):
                    return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(f"Rasa at {url} not ready after {timeout:.0f}s")
