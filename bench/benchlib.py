"""What the benchmark scripts share: where results go, tables, process memory, and a private
copy of the assistant (action server + Rasa server) started with safeshare.launcher.

Why a private stack: a benchmark must be rerunnable on a quiet machine without anything else
running, and must never touch the project's var/ or a developer's running assistant. Every
stack here gets free ports, its own var/ in a temporary folder, its own secrets and, for the
scaled variant, a fresh PostgreSQL database that is dropped afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
DEFAULT_POSTGRES_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
# A Redis database number nothing else in the project uses (tests and the scaled run use 0).
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


# ------------------------------------------------------------------------------ results


def exit_on_sigterm() -> None:
    """Turn SIGTERM (`timeout`, a CI limit, run_all.py) into SystemExit, so that the `finally`
    blocks run: the stack is stopped and a training child is killed, not orphaned."""
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))


def write_result(name: str, data: dict[str, Any], started: float) -> Path:
    """Writes bench/results/<name>.json (with the machine and the run time since `started`, a
    `time.monotonic()` value) and says so."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    seconds = time.monotonic() - started
    payload = {"benchmark": name, "machine": machine(), **data, "seconds_total": round(seconds, 1)}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten {path.relative_to(ROOT)} in {seconds:.0f} s")
    return path


def machine() -> dict[str, Any]:
    """Enough to tell a quiet-machine run from a smoke run on a busy one."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    memory = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(memory / 2**30, 1),
        "load_average_1_5_15_min": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, int(round(q / 100 * len(ordered) + 0.5)))
    return ordered[min(rank, len(ordered)) - 1]


# ------------------------------------------------------------------------------ memory


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc (no psutil needed)."""
    tree = _children()
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += tree.get(current, [])
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants so far, from /proc."""
    tree = _children()
    ticks, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += tree.get(current, [])
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


def mib(value: float) -> float:
    return round(value / 2**20, 1)


# ------------------------------------------------------------------------------ the stack


@dataclass
class Backend:
    """Where a private stack keeps its state: the embedded set-up or PostgreSQL + Redis."""

    name: str
    database_url: str
    tracker_db_url: str
    redis_url: str = ""
    # Rasa processes sharing the stores; more than one needs the Redis lock store.
    replicas: int = 1
    # Sanic workers per Rasa process (Rasa's SANIC_WORKERS); more than one needs Redis too.
    workers: int = 1
    # The Rasa processes behind nginx, as `make run` starts them (safeshare/topology.py); with no
    # redis_url, a private Redis started with them.
    proxied: bool = False
    # A plain Rasa assistant (bench/plain_rasa.py) instead of SafeShare's Rasa server.
    plain: bool = False
    # With `proxied`: the conversation locks in lock files (as `make run`), not in Redis.
    file_locks: bool = False


def train_nlu(
    config: Path, out: Path, name: str, timeout: float, nlu: Path = ROOT / "data" / "nlu"
) -> dict[str, Any]:
    """`rasa train nlu` on `nlu` into `out` with a cache of its own (a cold, comparable training)."""
    out.mkdir(parents=True, exist_ok=True)
    env = quiet_env({"RASA_CACHE_DIRECTORY": str(out / "cache")})
    argv = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "nlu",
        "--config",
        str(config),
        "--nlu",
        str(nlu),
        "--domain",
        "domain.yml",
        "--out",
        str(out),
        "--fixed-model-name",
        name,
    ]
    log = out / f"train-{name}.log"
    print(f"training {name} NLU-only (log: {log}) ...", flush=True)
    result = run_timed(argv, cwd=ROOT, env=env, log=log, timeout=timeout)
    if result["returncode"] != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"`rasa train nlu` for {name} failed:\n{tail}")
    model = next(out.glob(f"{name}*.tar.gz"))
    result["model"] = str(model)
    result["model_mib"] = mib(model.stat().st_size)
    print(f"  {name}: {result['seconds']} s, peak {result['peak_rss_mib']} MiB", flush=True)
    return result


@contextlib.contextmanager
def postgres_database(admin_url: str, prefix: str = "safeshare_bench") -> Iterator[str]:
    """A fresh PostgreSQL database (migrations applied), dropped afterwards."""
    from safeshare.db.scratch import scratch_database

    with scratch_database(admin_url, prefix) as url:
        yield url


def postgres_reachable(admin_url: str) -> str | None:
    """None if PostgreSQL answers at `admin_url`, else why not."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(admin_url, future=True, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:  # noqa: BLE001 - any reason is reported, not raised
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"


def redis_reachable(url: str) -> str | None:
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=3)
        client.ping()
        client.close()
        return None
    except Exception as error:  # noqa: BLE001 - any reason is reported, not raised
        return f"{type(error).__name__}: {error}"


@dataclass
class RunningStack:
    stack: Any  # safeshare.launcher.Stack
    workdir: Path
    token: str

    rasa_urls: list[str] = field(default_factory=list)
    # Each Rasa process's own address (behind a proxy too): where a warm-up reaches every process.
    process_urls: list[str] = field(default_factory=list)

    @property
    def rasa_url(self) -> str:
        """Where messages go: the proxy in front of the Rasa processes, or the only one."""
        return self.rasa_urls[0] if len(self.rasa_urls) == 1 else self.stack.rasa_url

    @property
    def rasa_names(self) -> list[str]:
        return [name for name in self.stack.processes if name.startswith("rasa")]

    def pid(self, name: str) -> int:
        return self.stack.processes[name].pid

    def alive(self) -> dict[str, bool]:
        return {name: p.poll() is None for name, p in self.stack.processes.items()}


@contextlib.contextmanager
def private_stack(
    backend: Backend, workdir: Path | None = None, model: Path | None = None
) -> Iterator[RunningStack]:
    """Action server + Rasa server on free loopback ports, state in `backend`, logs in workdir."""
    from safeshare import launcher
    from safeshare.db.migrate import upgrade

    model = model or launcher.MODEL
    if not model.exists():
        raise SystemExit(f"no trained model at {model}: run `make train` first")
    own_dir = workdir is None
    workdir = workdir or Path(tempfile.mkdtemp(prefix="safeshare-bench-"))
    var_dir = workdir / "var"
    var_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(16)
    ports = launcher.Ports.free()
    env = launcher.stack_env(
        ports,
        {
            "SAFESHARE_VAR_DIR": str(var_dir),
            "DATABASE_URL": backend.database_url,
            "TRACKER_DB_URL": backend.tracker_db_url,
            "REDIS_URL": backend.redis_url,
            "RASA_TOKEN": token,
            "SAFESHARE_SECRET_KEY": secrets.token_urlsafe(32),
            "SAFESHARE_LOG_LEVEL": "WARNING",
            "LOG_LEVEL": "WARNING",
        },
    )
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env["SANIC_WORKERS"] = str(backend.workers)
    if (backend.replicas > 1 or backend.workers > 1) and not (backend.redis_url or backend.proxied):
        raise ValueError("several Rasa replicas need the Redis lock store (redis_url)")
    run = _replicated_run(backend, workdir, var_dir, model, env) if backend.proxied else None
    stack = run.stack if run else launcher.Stack(ports, env)
    try:
        if run:
            run.start()  # migrations, a private Redis if asked, the processes, nginx
            yield RunningStack(stack, workdir, token, [run.internal_url], run.replica_urls)
            return
        upgrade(backend.database_url)
        actions = stack.start("actions", launcher.actions_argv(ports), workdir / "actions.log")
        launcher.wait_http(f"http://127.0.0.1:{ports.actions}/health", process=actions)
        started = []
        for index in range(backend.replicas):
            name = "rasa" if index == 0 else f"rasa-{index + 1}"
            own = ports if index == 0 else replace(ports, rasa=launcher.free_port())
            if backend.plain:
                import plain_rasa

                argv = plain_rasa.rasa_argv(own.rasa)
            else:
                argv = launcher.rasa_argv(own, token, model)
            process = stack.start(name, argv, workdir / f"{name}.log")
            started.append((f"http://127.0.0.1:{own.rasa}", process))
        for url, process in started:  # started together, ready one by one
            launcher.wait_rasa_ready(url, process=process)
        urls = [url for url, _ in started]
        yield RunningStack(stack, workdir, token, urls, urls)
    finally:
        stack.stop()
        if own_dir:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)


def _replicated_run(backend: Backend, workdir: Path, var_dir: Path, model: Path, env: dict[str, str]) -> Any:
    """`make run`'s topology (safeshare/topology.py) on this stack's stores, secrets and log level."""
    from safeshare.topology import ReplicatedRun

    run = ReplicatedRun(
        backend.database_url,
        backend.redis_url or None,
        workdir,
        replicas=backend.replicas,
        model=model,
        web=False,
        tracker_db_url=backend.tracker_db_url,
        var_dir=var_dir,
        logs=workdir,
        rasa_token=env["RASA_TOKEN"],
        secret_key=env["SAFESHARE_SECRET_KEY"],
        lock_dir=workdir / "locks" if backend.file_locks else None,
    )
    for name in ("SAFESHARE_LOG_LEVEL", "LOG_LEVEL"):
        run.env[name] = env[name]
    return run


def backend_for(
    name: str, workdir: Path, cleanup: contextlib.ExitStack, postgres_admin_url: str, redis_url: str
) -> Backend | str:
    """The set-up called `name` (embedded, scaled, scaled-2), or why it cannot run here.

    A scaled set-up gets a fresh PostgreSQL database, dropped when `cleanup` closes."""
    if name in ("embedded", "embedded-redis"):
        from safeshare.topology import why_not_replicated

        why = why_not_replicated("")
        if why:
            return why
        if name == "embedded":
            label = "embedded, as make run (SQLite, 2 Rasa processes behind nginx, lock files, private Redis)"
        else:
            label = "embedded with Redis locks (SQLite, 2 Rasa processes behind nginx, private Redis)"
        return replace(
            sqlite_backend(workdir), name=label, replicas=2, proxied=True, file_locks=name == "embedded"
        )
    if name == "embedded-1":
        return sqlite_backend(workdir)
    if name == "plain":
        import plain_rasa

        if not plain_rasa.MODEL.exists():
            return f"no plain Rasa model at {plain_rasa.MODEL}: python bench/plain_rasa.py"
        return replace(
            sqlite_backend(workdir),
            name=f"plain Rasa (rasa init's recipe, {plain_rasa.describe()}; Rasa's in-memory "
            "stores; same data and actions)",
            plain=True,
        )
    if name == "embedded-2w":
        why = redis_reachable(redis_url)
        if why:
            return why
        embedded = sqlite_backend(workdir)
        return replace(
            embedded, name="SQLite, Redis lock store, 2 Sanic workers", redis_url=redis_url, workers=2
        )
    if name not in ("scaled", "scaled-2"):
        raise SystemExit(
            f"unknown set-up {name!r} (embedded, embedded-redis, embedded-1, plain, embedded-2w, scaled, scaled-2)"
        )
    why = postgres_reachable(postgres_admin_url) or redis_reachable(redis_url)
    if why:
        return why
    url = cleanup.enter_context(postgres_database(postgres_admin_url))
    replicas = 2 if name == "scaled-2" else 1
    label = "PostgreSQL + Redis lock store" + (f", {replicas} Rasa replicas" if replicas > 1 else "")
    return Backend(label, url, url, redis_url, replicas)


def sqlite_backend(workdir: Path) -> Backend:
    var_dir = workdir / "var"
    return Backend(
        name="embedded, one Rasa process (SQLite, in-process locks)",
        database_url=f"sqlite:///{var_dir / 'safeshare.db'}",
        tracker_db_url=f"sqlite:///{var_dir / 'tracker.db'}",
    )


def quiet_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a `rasa` subprocess: no telemetry, no TensorFlow chatter."""
    from safeshare.launcher import base_env

    return base_env(extra)


def run_timed(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log: Path,
    timeout: float,
    sample_every: float = 0.25,
) -> dict[str, Any]:
    """Run a command; wall time, peak RSS of its process tree (sampled) and its exit code."""
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(argv), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        peak = 0
        try:
            while process.poll() is None:
                peak = max(peak, rss_bytes(process.pid))
                if time.monotonic() - started > timeout:
                    os.killpg(process.pid, 9)
                    process.wait()
                    raise TimeoutError(f"{argv[:4]} did not finish in {timeout:.0f} s (log: {log})")
                time.sleep(sample_every)
        except BaseException:
            if process.poll() is None:
                os.killpg(process.pid, 9)
                process.wait()
            raise
    wall = time.monotonic() - started
    return {"seconds": round(wall, 1), "peak_rss_mib": mib(peak), "returncode": process.returncode}


def workdir_for(name: str, keep_logs: str | None, cleanup: Any, prefix: str) -> Path:
    """A set-up's working folder: under --keep-logs DIR if given, else a temporary one removed by
    `cleanup` (an ExitStack)."""
    if keep_logs:
        workdir = Path(keep_logs) / name
        workdir.mkdir(parents=True, exist_ok=True)
        return workdir
    return Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix=f"{prefix}-{name}-")))


async def load_parser(model: Path, focus: bool = True) -> Any:
    """The model as the server runs it (the project's extensions installed), loaded in process with
    Rasa's logs quiet (at debug level it logs every parse with its text). `focus=False` scores
    without reading long messages by sentence."""
    import logging

    from rasa.core.agent import load_agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    from safeshare.rasa_ext import server

    server.install()
    server.focus_enabled = focus
    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = await load_agent(model_path=str(model))
    if not agent.is_ready():
        raise SystemExit(f"could not load {model} (see the log above)")
    return agent
