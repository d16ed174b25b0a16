"""Latency of one long conversation: does a turn cost more the longer the conversation is?

One REST conversation of --turns messages, sent one at a time (the next after the reply), cycling
ordinary questions that are answered from the catalogue (a topic answer, then the feedback
question), through the real stack (action server + Rasa, safeshare.launcher, free loopback ports,
a temporary var/) once per set-up:
- embedded: as `make run` starts it: SQLite tracker store, two Rasa processes behind nginx, a
  private Redis lock store;
- embedded-1: SQLite tracker store, in-process lock store, one Rasa process;
- plain: plain Rasa (bench/plain_rasa.py: `rasa init`'s recipe, Rasa's in-memory tracker store,
  which replays the whole conversation every turn), same data and actions, when trained;
- scaled: a fresh PostgreSQL database (dropped afterwards) and the Redis lock store, one Rasa.

Reported per window of --window turns: median and p90 latency, and the CPU the Rasa process
spent per message in that window (from /proc, so it counts the whole process, not only the
request). "Cost at turn t" is the median latency of the window holding turn t (turn 1 is the
first message; the conversation's session start is part of it, as in real use), and the ratio
turn 300 / turn 1 is what the target in docs/benchmarks.md is about (<= 1.5). One short warm-up
conversation first, under another sender (the first parse and action call are slow).

Other work on a shared machine moves latency up and down during a run, which a ratio between
the first and a later window takes for growth. So after each message of the long conversation
one message of a young one is sent (the same questions, a new conversation every
--reference-turns turns): its median in the same window is "now" for a conversation that has
barely started, and long / young in each window is the growth with the machine's noise taken
out.

--profile samples the Rasa process with py-spy (`--py-spy PATH`, 100 samples/s) for the whole
conversation and reports the share of Rasa's samples spent under a few functions (the tracker
store, the policies, the NLU, the action server call); the collapsed stacks are written next to
the results (bench/results/long_conversation-<set-up>.stacks) for a flame graph.

Numbers on a shared 2-core machine are noisy: compare ratios within one run, not absolute
figures between runs.

Usage:
  python bench/long_conversation.py [--turns 400] [--window 50] [--reference-turns 10]
                                    [--setups plain,embedded,embedded-1,scaled]
                                    [--profile] [--py-spy PATH]
                                    [--postgres-admin-url URL] [--redis-url URL] [--keep-logs DIR]
Writes bench/results/long_conversation.json. Loopback traffic only.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import benchlib
import httpx

# Ordinary questions, each answered by a topic rule (answer + "was this helpful?").
QUESTIONS = [
    "what is a deepfake?",
    "How do I complain to the privacy commissioner?",
    "how can I spot a deepfake video",
    "is it safe to post photos of my kids online",
]
TARGET_RATIO = 1.5
MARK_TURNS = (1, 100, 300)
# Where Rasa's CPU goes: a sample counts for a part if any frame of its stack matches (function
# name, file name ending); the parts overlap (the processor contains the policies).
PROFILE_PARTS = {
    "message processor (all of a message)": ("handle_message", "rasa/core/processor.py"),
    "tracker store: load": ("retrieve", "tracker_store.py"),
    "tracker store: save": ("save", "tracker_store.py"),
    "rule policy": ("predict_action_probabilities", "rule_policy.py"),
    "rule keys matching": ("_get_possible_keys", ""),
    "tracker states (past_states)": ("past_states", "rasa/shared/core/trackers.py"),
    "NLU (parse_message)": ("parse_message", "rasa/core/processor.py"),
    "DIET": ("process", "diet_classifier.py"),
    "custom action (action server call)": ("_run_resiliently", "remote_action.py"),
    "action payload (tracker and domain as JSON)": ("_action_call_format", ""),
    "event (de)serialisation": ("from_parameters", "rasa/shared/core/events.py"),
}


def _window_rows(run: dict[str, Any], window: int) -> list[dict[str, Any]]:
    latencies, cpu, young = run["latencies"], run["cpu"], run["reference"]
    rows = []
    for start in range(0, len(latencies), window):
        part = [x * 1000 for x in latencies[start : start + window]]
        part_cpu = cpu[start : start + window]
        row = {
            "turns": f"{start + 1}-{start + len(part)}",
            "first_turn": start + 1,
            "median_ms": round(statistics.median(part), 1),
            "p90_ms": round(benchlib.percentile(part, 90), 1),
            "rasa_cpu_ms_per_message": round(1000 * sum(part_cpu) / len(part_cpu), 1),
        }
        if young:
            reference = statistics.median(x * 1000 for x in young[start : start + window])
            row["young_median_ms"] = round(reference, 1)
            row["long_to_young"] = round(row["median_ms"] / reference, 2)
        rows.append(row)
    return rows


def cost_at(rows: list[dict[str, Any]], turn: int) -> float | None:
    """Median latency of the window holding `turn` (1-based)."""
    for row in rows:
        first, last = (int(x) for x in row["turns"].split("-"))
        if first <= turn <= last:
            return float(row["median_ms"])
    return None


def converse(
    stack: benchlib.RunningStack, turns: int, sender: str, reference_turns: int = 0
) -> dict[str, Any]:
    """Sends the conversation (and, interleaved, young reference conversations); latency and the
    Rasa process's CPU seconds per turn of the long conversation, latency of the young ones."""
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    rasa_pids = [stack.pid(name) for name in stack.rasa_names]
    latencies: list[float] = []
    cpu: list[float] = []
    reference: list[float] = []
    problems: list[str] = []

    def send(client: httpx.Client, who: str, turn: int) -> float:
        text = QUESTIONS[turn % len(QUESTIONS)]
        started = time.monotonic()
        response = client.post(url, json={"sender": who, "message": text})
        took = time.monotonic() - started
        replies = response.json() if response.status_code == 200 else []
        if response.status_code != 200 or not any(str(r.get("text") or "").strip() for r in replies):
            problems.append(
                f"{who} turn {turn + 1} {text!r}: HTTP {response.status_code}, {len(replies)} replies"
            )
        return took

    with httpx.Client(timeout=60) as client:
        for turn in range(turns):
            cpu_before = sum(benchlib.cpu_seconds(pid) for pid in rasa_pids)
            latencies.append(send(client, sender, turn))
            cpu.append(sum(benchlib.cpu_seconds(pid) for pid in rasa_pids) - cpu_before)
            if reference_turns:
                young, young_turn = divmod(turn, reference_turns)
                reference.append(send(client, f"{sender}-young-{young}", young_turn))
            if (turn + 1) % 50 == 0:
                print(f"  turn {turn + 1}: {latencies[-1] * 1000:.0f} ms", flush=True)
    return {"latencies": latencies, "cpu": cpu, "reference": reference, "problems": problems}


def start_profiler(py_spy: str, pid: int, out: Path) -> subprocess.Popen:
    argv = [py_spy, "record", "--pid", str(pid), "--rate", "100", "--format", "raw", "--output", str(out)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profiler(profiler: subprocess.Popen) -> None:
    profiler.send_signal(signal.SIGINT)  # py-spy writes its output when interrupted
    try:
        profiler.wait(timeout=60)
    except subprocess.TimeoutExpired:
        profiler.kill()
        profiler.wait()


def profile_shares(stacks: Path) -> dict[str, Any]:
    """Share of the samples whose stack passes through each of PROFILE_PARTS."""
    total, counts = 0, dict.fromkeys(PROFILE_PARTS, 0)
    for line in stacks.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        samples = int(number)
        total += samples
        frames = stack.split(";")
        for part, (function, filename) in PROFILE_PARTS.items():
            if any(f.startswith(f"{function} (") and filename in f for f in frames):
                counts[part] += samples
    return {
        "samples": total,
        "share_percent": {part: round(100 * n / total, 1) if total else 0.0 for part, n in counts.items()},
    }


def run_setup(
    name: str, backend: benchlib.Backend, workdir: Path, args: argparse.Namespace
) -> dict[str, Any]:
    print(f"\n== {name}: {backend.name}", flush=True)
    profile = None
    with benchlib.private_stack(backend, workdir=workdir) as stack:
        print(f"stack ready (Rasa at {stack.rasa_url})", flush=True)
        converse(stack, 6, f"warmup-{int(time.time())}")
        # Per Rasa process (the largest, where several run).
        rss_before = max(benchlib.rss_bytes(stack.pid(n)) for n in stack.rasa_names)
        stacks = benchlib.RESULTS / f"long_conversation-{name}.stacks"
        profiler = None
        if args.profile:
            stacks.parent.mkdir(parents=True, exist_ok=True)
            # One Rasa process (one conversation's turns spread over several).
            profiler = start_profiler(args.py_spy, stack.pid(stack.rasa_names[0]), stacks)
            time.sleep(1)
        try:
            run = converse(stack, args.turns, f"long-{int(time.time())}", args.reference_turns)
        finally:
            if profiler is not None:
                stop_profiler(profiler)
        if profiler is not None and stacks.exists():
            profile = profile_shares(stacks)
        rss_after = max(benchlib.rss_bytes(stack.pid(n)) for n in stack.rasa_names)
        events = _stored_events(backend.tracker_db_url)
    rows = _window_rows(run, args.window)
    first, marks = rows[0]["median_ms"], {}
    for turn in MARK_TURNS:
        cost = cost_at(rows, turn)
        if cost is not None:
            marks[str(turn)] = {"median_ms": cost, "ratio_to_turn_1": round(cost / first, 2)}
            row = next(r for r in rows if r["first_turn"] <= turn < r["first_turn"] + args.window)
            if "long_to_young" in row:
                marks[str(turn)]["long_to_young"] = row["long_to_young"]
    for problem in run["problems"][:10]:
        print(f"  problem: {problem}", flush=True)
    return {
        "backend": backend.name,
        "turns": args.turns,
        "window": args.window,
        "windows": rows,
        "cost_at_turn": marks,
        "problems": run["problems"],
        "rasa_rss_mib_before_after": [benchlib.mib(rss_before), benchlib.mib(rss_after)],
        "stored_events": events,
        "profile": profile,
    }


def _stored_events(url: str) -> int | None:
    """Rows in the tracker store (every event is kept, however little a turn loads)."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            count = conn.execute(sa.text("SELECT COUNT(*) FROM events")).scalar()
        engine.dispose()
        return int(count or 0)
    except Exception:  # noqa: BLE001 - a figure for the report, not a check
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=400)
    parser.add_argument("--window", type=int, default=50, help="turns per reported window")
    parser.add_argument(
        "--reference-turns",
        type=int,
        default=10,
        help="length of the interleaved young conversations (0: none)",
    )
    parser.add_argument(
        "--setups", default="plain,embedded,scaled", type=lambda s: [x for x in s.split(",") if x]
    )
    parser.add_argument("--profile", action="store_true", help="sample the Rasa process with py-spy")
    parser.add_argument("--py-spy", default="py-spy", help="the py-spy binary (with --profile)")
    parser.add_argument("--postgres-admin-url", default=benchlib.DEFAULT_POSTGRES_ADMIN_URL)
    parser.add_argument("--redis-url", default=benchlib.DEFAULT_REDIS_URL)
    parser.add_argument(
        "--keep-logs", default=None, help="keep each set-up's logs and SQLite files under DIR/<set-up>"
    )
    args = parser.parse_args()
    benchlib.exit_on_sigterm()

    started = time.monotonic()
    results: dict[str, Any] = {
        "parameters": {
            "turns": args.turns,
            "window": args.window,
            "reference_turns": args.reference_turns,
            "questions": QUESTIONS,
        },
        "setups": {},
        "skipped": {},
    }
    for name in args.setups:
        with ExitStack() as cleanup:
            workdir = benchlib.workdir_for(name, args.keep_logs, cleanup, "safeshare-bench-long")
            backend = benchlib.backend_for(name, workdir, cleanup, args.postgres_admin_url, args.redis_url)
            if isinstance(backend, str):
                print(f"\n== {name}: skipped ({backend})", flush=True)
                results["skipped"][name] = backend
                continue
            results["setups"][name] = run_setup(name, backend, workdir, args)

    headers = ["set-up", "turns", "median ms", "p90 ms", "Rasa CPU ms/msg", "young median ms", "long / young"]
    rows = [
        [
            name,
            row["turns"],
            row["median_ms"],
            row["p90_ms"],
            row["rasa_cpu_ms_per_message"],
            row.get("young_median_ms", ""),
            row.get("long_to_young", ""),
        ]
        for name, setup in results["setups"].items()
        for row in setup["windows"]
    ]
    table = benchlib.markdown_table(headers, rows)
    print(f"\none conversation of {args.turns} turns, {args.window} turns per row\n")
    print(table)
    for name, setup in results["setups"].items():
        marks = setup["cost_at_turn"]
        text = ", ".join(
            f"turn {t}: {m['median_ms']} ms ({m['ratio_to_turn_1']}x turn 1"
            + (f", {m['long_to_young']}x a young conversation then)" if "long_to_young" in m else ")")
            for t, m in marks.items()
        )
        ratio = marks.get("300", {}).get("ratio_to_turn_1")
        verdict = (
            "" if ratio is None else f" -> {'met' if ratio <= TARGET_RATIO else 'MISSED'} <= {TARGET_RATIO}x"
        )
        print(
            f"{name}: {text}{verdict}; {len(setup['problems'])} problems; {setup['stored_events']} events stored"
        )
        if setup["profile"]:
            shares = setup["profile"]["share_percent"]
            print(f"  py-spy, {setup['profile']['samples']} samples of Rasa:")
            for part, share in shares.items():
                print(f"    {share:5.1f}%  {part}")
    results["table_markdown"] = table
    benchlib.write_result("long_conversation", results, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
