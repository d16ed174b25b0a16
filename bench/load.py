"""Latency and throughput of the REST channel under 1, 20 and 100 concurrent simulated users.

Each simulated user holds realistic multi-turn conversations (English or Cantonese/Chinese,
alternating by user): greet, a topic question, 👍 feedback, another question, the start of the
privacy-settings flow and its answer; then a new conversation under a new sender. Between
messages a user "thinks" for a random time around --think seconds (seeded: the same schedule
every run). Every request started within --duration seconds (or until --max-messages) counts.

It starts its own stack with safeshare.launcher (action server + Rasa, free loopback ports, a
temporary var/), once per set-up:
- embedded: what `make run` starts by default (safeshare/topology.py): SQLite tracker store and
  inquiry database, two Rasa processes behind nginx (REST through its internal listener, to the
  least busy process), lock files for the conversation locks and a private Redis for the
  widget's pushes; skipped, saying why, if nginx or redis-server is not installed;
- embedded-redis (not in the default list): the same with the conversation locks in the private
  Redis (`make run` before lock files);
- embedded-1: SQLite, in-process lock store, one Rasa process (make run with
  SAFESHARE_RASA_PROCESSES=1, or where nginx or redis-server is missing);
- scaled: a fresh PostgreSQL database for both (dropped afterwards) and the Redis lock store
  (a spare Redis database, 14 by default), one Rasa;
- scaled-2: the same with two Rasa processes, messages sent to them in turn (any replica may
  serve any conversation: that is what the shared tracker and lock stores are for). One Rasa
  process handles messages on one event loop, so this is how a second core gets used;
- plain: a plain Rasa assistant (bench/plain_rasa.py: `rasa init`'s recipe, Rasa's in-memory
  stores, trained on the same data, the same action server), one process, so that every figure
  has a ratio against plain Rasa measured in the same run; skipped, saying so, until
  `python bench/plain_rasa.py` has trained it;
- embedded-2w (not in the default list): SQLite as embedded, but one Rasa with two Sanic workers
  (Rasa's SANIC_WORKERS) sharing its port, with the Redis lock store (--redis-url): what using
  both cores on one machine without a proxy would give.
The scaled set-ups are skipped, saying why, if PostgreSQL or Redis is unreachable. With
--models before=A.tar.gz,after=B.tar.gz every set-up runs with each model in turn, so that two
models (two pipelines) are compared in one run on the same machine.

Reported per level: messages, errors (transport errors, timeouts, non-200), empty replies,
p50/p95/p99/max latency, messages per second, peak RSS of the Rasa processes (together and the
largest) and the action server, and the CPU spent per message by each part, the load generator
(this process, with aiohttp by default; --client httpx as before) included.
Targets (2 cores): p95 <= 150 ms at 20 users, >= 40 messages/s, no errors.

Usage:
  python bench/load.py [--levels 1,20,100] [--duration 30] [--think 0.5] [--max-messages N]
                       [--setups plain,embedded,embedded-1,scaled,scaled-2,embedded-2w]
                       [--postgres-admin-url URL] [--client aiohttp|httpx]
                       [--redis-url URL]
                       [--keep-logs DIR] [--models LABEL=PATH,...]
Writes bench/results/load.json. Loopback traffic only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import benchlib
import httpx

ROOT = benchlib.ROOT

SCRIPTS = {
    "en": [
        ("greet", "hi"),
        ("question", "what is a deepfake?"),
        ("feedback", "/feedback_helpful"),
        ("question", "How do I complain to the privacy commissioner?"),
        ("flow start", "how do I change my privacy settings"),
        ("flow answer", '/inform{"platform":"whatsapp"}'),
    ],
    "zh": [
        ("greet", "你好"),
        ("question", "甚麼是深偽？"),
        ("feedback", "/feedback_helpful"),
        ("question", "點樣向私隱專員公署投訴？"),
        ("flow start", "點樣改社交媒體嘅私隱設定？"),
        ("flow answer", '/inform{"platform":"instagram"}'),
    ],
}
TARGET_USERS, TARGET_P95_MS, TARGET_RATE = 20, 150.0, 40.0


@dataclass
class Level:
    users: int
    latencies: list[float] = field(default_factory=list)
    by_step: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    empty: int = 0
    conversations: int = 0
    elapsed: float = 0.0
    rss: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    def record_error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1

    def summary(self) -> dict[str, Any]:
        ms = [x * 1000 for x in self.latencies]
        return {
            "users": self.users,
            "messages": len(ms) + self.errors,
            "ok": len(ms),
            "errors": self.errors,
            "error_kinds": self.error_kinds,
            "empty_replies": self.empty,
            "conversations": self.conversations,
            "seconds": round(self.elapsed, 1),
            "messages_per_second": round((len(ms) + self.errors) / self.elapsed, 1) if self.elapsed else 0.0,
            "p50_ms": round(benchlib.percentile(ms, 50), 1),
            "p95_ms": round(benchlib.percentile(ms, 95), 1),
            "p99_ms": round(benchlib.percentile(ms, 99), 1),
            "max_ms": round(max(ms), 1) if ms else 0.0,
            "p50_ms_by_step": {
                step: round(benchlib.percentile([x * 1000 for x in values], 50), 1)
                for step, values in self.by_step.items()
            },
            "p95_ms_by_step": {
                step: round(benchlib.percentile([x * 1000 for x in values], 95), 1)
                for step, values in self.by_step.items()
            },
            "peak_rss_mib": {name: benchlib.mib(value) for name, value in self.rss.items()},
            # Where the time goes: CPU spent per message by the Rasa process(es) and the action
            # server (2 cores = at most 2000 ms of CPU per second).
            "cpu_ms_per_message": {
                name: round(1000 * seconds / len(ms), 1) if ms else 0.0 for name, seconds in self.cpu.items()
            },
        }


class Client:
    """The simulated users' HTTP client: aiohttp (default) or httpx, which spends several times
    the CPU per request (the load generator shares the two cores with what it measures; the
    figures before the seventh session were taken with httpx)."""

    def __init__(self, kind: str, connections: int) -> None:
        self.kind = kind
        if kind == "httpx":
            limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
            self._httpx = httpx.AsyncClient(timeout=httpx.Timeout(30.0), limits=limits)
        else:
            self._aiohttp = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=connections),
                timeout=aiohttp.ClientTimeout(total=30),
            )

    async def post(self, url: str, payload: dict[str, str]) -> tuple[int, bytes]:
        if self.kind == "httpx":
            response = await self._httpx.post(url, json=payload)
            return response.status_code, response.content
        async with self._aiohttp.post(url, json=payload) as response:
            return response.status, await response.read()

    async def close(self) -> None:
        if self.kind == "httpx":
            await self._httpx.aclose()
        else:
            await self._aiohttp.close()


async def _user(
    client: Client,
    urls: list[str],
    level: Level,
    index: int,
    run_id: str,
    deadline: float,
    budget: list[int],
    think: float,
) -> None:
    rng = random.Random(index)
    language = "en" if index % 2 == 0 else "zh"
    conversation = 0
    while True:
        sender = f"load-{run_id}-{level.users}u-{index}-{conversation}"
        conversation += 1
        level.conversations += 1
        for step, text in SCRIPTS[language]:
            if time.monotonic() >= deadline or budget[0] <= 0:
                return
            budget[0] -= 1
            # Every message to the next replica: any of them may serve any conversation.
            url = urls[budget[0] % len(urls)]
            started = time.monotonic()
            try:
                status, body = await client.post(url, {"sender": sender, "message": text})
                took = time.monotonic() - started
                if status != 200:
                    level.record_error(f"HTTP {status}")
                else:
                    replies = json.loads(body)
                    level.latencies.append(took)
                    level.by_step.setdefault(step, []).append(took)
                    if not any(str(r.get("text") or "").strip() or r.get("custom") for r in replies):
                        level.empty += 1
            except (aiohttp.ClientError, httpx.HTTPError, asyncio.TimeoutError) as error:
                level.record_error(type(error).__name__)
            if think > 0:
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


async def _sample_rss(stack: benchlib.RunningStack, level: Level, stop: asyncio.Event) -> None:
    while not stop.is_set():
        each = [benchlib.rss_bytes(stack.pid(name)) for name in stack.rasa_names]
        level.rss["rasa"] = max(level.rss.get("rasa", 0), sum(each))
        level.rss["rasa_per_process"] = max(level.rss.get("rasa_per_process", 0), *each)
        level.rss["actions"] = max(level.rss.get("actions", 0), benchlib.rss_bytes(stack.pid("actions")))
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except asyncio.TimeoutError:
            pass


def _cpu(stack: benchlib.RunningStack) -> dict[str, float]:
    """CPU seconds so far: all Rasa processes, the action server, and nginx + Redis when the
    set-up runs them (make run's default)."""
    helpers = [name for name in ("nginx", "redis") if name in stack.stack.processes]
    out = {
        "rasa": sum(benchlib.cpu_seconds(stack.pid(name)) for name in stack.rasa_names),
        "actions": benchlib.cpu_seconds(stack.pid("actions")),
    }
    if helpers:
        out["nginx+redis"] = sum(benchlib.cpu_seconds(stack.pid(name)) for name in helpers)
    times = os.times()
    out["load generator"] = times.user + times.system  # this process: the simulated users
    return out


async def run_level(
    stack: benchlib.RunningStack,
    users: int,
    duration: float,
    think: float,
    max_messages: int | None,
    run_id: str,
    client_kind: str = "aiohttp",
) -> Level:
    level = Level(users)
    urls = [f"{url}/webhooks/rest/webhook" for url in stack.rasa_urls]
    client = Client(client_kind, users + 10)
    try:
        stop = asyncio.Event()
        sampler = asyncio.create_task(_sample_rss(stack, level, stop))
        budget = [max_messages if max_messages else 10**9]
        cpu_before = _cpu(stack)
        started = time.monotonic()
        deadline = started + duration
        await asyncio.gather(
            *[_user(client, urls, level, i, run_id, deadline, budget, think) for i in range(users)]
        )
        level.elapsed = time.monotonic() - started
        level.cpu = {name: after - cpu_before[name] for name, after in _cpu(stack).items()}
        stop.set()
        await sampler
    finally:
        await client.close()
    return level


async def warm_up(stack: benchlib.RunningStack) -> list[str]:
    """One conversation per language first, with every Rasa process (the first parse, the first
    action call and the first of each step are slow in each process: through a proxy, which
    spreads the steps over the processes, some would be left for the measured messages); also
    checks the scripts still do what they say (a reworded intent would skew the figures)."""
    problems = []
    async with httpx.AsyncClient(timeout=120) as client:
        for n, url in enumerate(stack.process_urls or [stack.rasa_url]):
            for language, script in SCRIPTS.items():
                for step, text in script:
                    response = await client.post(
                        f"{url}/webhooks/rest/webhook",
                        json={"sender": f"warmup-{language}-{n}", "message": text},
                    )
                    response.raise_for_status()
                    replies = response.json()
                    buttons = [b.get("payload", "") for r in replies for b in r.get("buttons") or []]
                    if not any(str(r.get("text") or "").strip() for r in replies):
                        problems.append(f"{language} {step} {text!r}: no reply")
                    elif step == "flow start" and not any('"platform"' in p for p in buttons):
                        problems.append(f"{language} {step} {text!r}: no platform question")
    for problem in problems:
        print(f"  warning: the script did not go as planned: {problem}", flush=True)
    return problems


def run_setup(
    name: str,
    backend: benchlib.Backend,
    workdir: Path,
    args: argparse.Namespace,
    run_id: str,
    model: Path | None = None,
) -> dict[str, Any]:
    print(f"\n== {name}: {backend.name}" + (f", model {model}" if model else ""), flush=True)
    started = time.monotonic()
    with benchlib.private_stack(backend, workdir=workdir, model=model) as stack:
        startup = time.monotonic() - started
        print(f"stack ready in {startup:.0f} s (Rasa at {stack.rasa_url})", flush=True)
        problems = asyncio.run(warm_up(stack))
        idle = {n: benchlib.mib(benchlib.rss_bytes(stack.pid(n))) for n in [*stack.rasa_names, "actions"]}
        levels = []
        for users in args.levels:
            level = asyncio.run(
                run_level(stack, users, args.duration, args.think, args.max_messages, run_id, args.client)
            )
            summary = level.summary()
            levels.append(summary)
            print(
                f"  {users:>3} users: {summary['messages']} msgs, "
                f"{summary['messages_per_second']} msg/s, p50 {summary['p50_ms']} ms, "
                f"p95 {summary['p95_ms']} ms, p99 {summary['p99_ms']} ms, "
                f"errors {summary['errors']}, empty {summary['empty_replies']}",
                flush=True,
            )
        alive = stack.alive()
    return {
        "backend": backend.name,
        "model": str(model) if model else None,
        "startup_seconds": round(startup, 1),
        "idle_rss_mib_after_warmup": idle,
        "script_problems": problems,
        "levels": levels,
        "processes_alive_at_end": alive,
    }


def plain_ratios(setups: dict[str, Any]) -> list[dict[str, Any]]:
    """Every set-up's figures divided by plain Rasa's at the same number of users (this run)."""
    plain = next((setup for name, setup in setups.items() if name.split(" (")[0] == "plain"), None)
    if plain is None:
        return []
    by_users = {lv["users"]: lv for lv in plain["levels"]}

    def ratio(a: float, b: float) -> float | None:
        return round(a / b, 2) if a and b else None

    out = []
    for name, setup in setups.items():
        if setup is plain:
            continue
        for lv in setup["levels"]:
            base = by_users.get(lv["users"])
            if base is None:
                continue
            out.append(
                {
                    "setup": name,
                    "users": lv["users"],
                    "msg_s": ratio(lv["messages_per_second"], base["messages_per_second"]),
                    "p95": ratio(lv["p95_ms"], base["p95_ms"]),
                    "cpu": ratio(lv["cpu_ms_per_message"]["rasa"], base["cpu_ms_per_message"]["rasa"]),
                    "rss": ratio(
                        lv["peak_rss_mib"].get("rasa_per_process", 0),
                        base["peak_rss_mib"].get("rasa_per_process", 0),
                    ),
                }
            )
    return out


def verdict(setup: dict[str, Any]) -> dict[str, Any]:
    levels = setup["levels"]
    at_target = next((lv for lv in levels if lv["users"] == TARGET_USERS), None)
    best_rate = max((lv["messages_per_second"] for lv in levels), default=0.0)
    errors = sum(lv["errors"] for lv in levels)
    return {
        f"p95_at_{TARGET_USERS}_users_ms": at_target["p95_ms"] if at_target else None,
        "p95_target_met": bool(at_target and at_target["p95_ms"] <= TARGET_P95_MS),
        "best_messages_per_second": best_rate,
        "rate_target_met": best_rate >= TARGET_RATE,
        "errors": errors,
        "errors_target_met": errors == 0,
    }


def parse_models(text: str) -> list[tuple[str, Path]]:
    models = []
    for item in filter(None, text.split(",")):
        label, _, path = item.partition("=")
        if not path or not Path(path).is_file():
            raise argparse.ArgumentTypeError(f"expected LABEL=PATH to a trained model, got {item!r}")
        models.append((label, Path(path)))
    return models


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,20,100", type=lambda s: [int(x) for x in s.split(",") if x])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per level")
    parser.add_argument(
        "--think", type=float, default=0.5, help="mean seconds a user waits between messages (0: closed loop)"
    )
    parser.add_argument("--max-messages", type=int, default=None, help="cap per level")
    parser.add_argument(
        "--setups",
        default="plain,embedded,embedded-1,scaled,scaled-2",
        type=lambda s: [x for x in s.split(",") if x],
    )
    parser.add_argument("--postgres-admin-url", default=benchlib.DEFAULT_POSTGRES_ADMIN_URL)
    parser.add_argument("--redis-url", default=benchlib.DEFAULT_REDIS_URL)
    parser.add_argument(
        "--client",
        choices=["aiohttp", "httpx"],
        default="aiohttp",
        help="the simulated users' HTTP client (httpx: as before the seventh session)",
    )
    parser.add_argument(
        "--keep-logs", default=None, help="keep each set-up's logs and SQLite files under DIR/<set-up>"
    )
    parser.add_argument(
        "--models",
        default="",
        type=parse_models,
        help="LABEL=PATH,...: run every set-up with each model in turn, in this order "
        "(two models side by side in one run); default: the trained model",
    )
    args = parser.parse_args()
    benchlib.exit_on_sigterm()

    started = time.monotonic()
    run_id = f"{int(time.time())}"
    results: dict[str, Any] = {
        "parameters": {
            "levels": args.levels,
            "duration_seconds": args.duration,
            "think_seconds": args.think,
            "max_messages": args.max_messages,
            "client": args.client,
            "scripts": SCRIPTS,
        },
        "setups": {},
        "skipped": {},
    }
    runs = [(setup, label, model) for setup in args.setups for label, model in (args.models or [("", None)])]
    for setup_name, label, model in runs:
        name = f"{setup_name} ({label})" if label else setup_name
        with ExitStack() as cleanup:
            workdir = benchlib.workdir_for(
                name.replace(" (", "-").rstrip(")"), args.keep_logs, cleanup, "safeshare-bench-load"
            )
            backend = benchlib.backend_for(
                setup_name, workdir, cleanup, args.postgres_admin_url, args.redis_url
            )
            if isinstance(backend, str):
                print(f"\n== {name}: skipped ({backend})", flush=True)
                results["skipped"][name] = backend
                continue
            setup = run_setup(name, backend, workdir, args, run_id, model)
            setup["verdict"] = verdict(setup)
            results["setups"][name] = setup

    rows = []
    for name, setup in results["setups"].items():
        for lv in setup["levels"]:
            rss = lv["peak_rss_mib"]
            cpu = lv["cpu_ms_per_message"]
            rows.append(
                [
                    name,
                    lv["users"],
                    lv["messages"],
                    lv["messages_per_second"],
                    lv["p50_ms"],
                    lv["p95_ms"],
                    lv["p99_ms"],
                    lv["max_ms"],
                    lv["errors"],
                    lv["empty_replies"],
                    rss.get("rasa", 0),
                    rss.get("rasa_per_process", 0),
                    rss.get("actions", 0),
                    cpu.get("rasa", 0),
                    cpu.get("actions", 0),
                    cpu.get("nginx+redis", "-"),
                    cpu.get("load generator", 0),
                ]
            )
    table = benchlib.markdown_table(
        [
            "set-up",
            "users",
            "messages",
            "msg/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "errors",
            "empty",
            "Rasa RSS MiB",
            "per Rasa process",
            "actions RSS MiB",
            "Rasa CPU ms/msg",
            "actions CPU ms/msg",
            "nginx+Redis CPU ms/msg",
            "load generator CPU ms/msg",
        ],
        rows,
    )
    print(f"\nthink time {args.think} s (mean), {args.duration:.0f} s per level\n")
    print(table)
    against = plain_ratios(results["setups"])
    if against:
        results["against_plain"] = against
        print("\nagainst plain Rasa in this run (set-up / plain, same number of users):\n")
        print(
            benchlib.markdown_table(
                ["set-up", "users", "msg/s", "p95", "Rasa CPU per message", "peak RSS per Rasa process"],
                [[r["setup"], r["users"], r["msg_s"], r["p95"], r["cpu"], r["rss"]] for r in against],
            )
        )
    for name, setup in results["setups"].items():
        v = setup["verdict"]
        print(
            f"{name}: p95 at {TARGET_USERS} users {v[f'p95_at_{TARGET_USERS}_users_ms']} ms "
            f"({'met' if v['p95_target_met'] else 'MISSED'} <= {TARGET_P95_MS:.0f}); "
            f"best {v['best_messages_per_second']} msg/s "
            f"({'met' if v['rate_target_met'] else 'MISSED'} >= {TARGET_RATE:.0f}); "
            f"errors {v['errors']} ({'met' if v['errors_target_met'] else 'MISSED'})"
        )
    results["table_markdown"] = table
    benchlib.write_result("load", results, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
