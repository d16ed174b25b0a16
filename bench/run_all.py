"""Run every benchmark, one after the other, each in its own process (so memory and the CPU
are free again between them), and print one summary. What `make bench` runs.

Order: training (a cold `rasa train`), accuracy (two NLU trainings, then scoring), load (two
stacks, three levels each). Each has a time limit; a benchmark that fails or runs over is
reported and the others still run. Results: bench/results/<name>.json and
bench/results/summary.md.

Usage:
  python bench/run_all.py [--only training,accuracy,load] [--quick]
--quick: 10 s per load level and the accuracy comparison without timing our own training
(a smoke run; the published figures come from a full run on a quiet machine).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import benchlib

ROOT = benchlib.ROOT
HERE = Path(__file__).resolve().parent
BENCHMARKS = {
    # name: (script, extra arguments for --quick, time limit in seconds)
    "training": ("training.py", [], 3000),
    "accuracy": ("accuracy.py", ["--skip-our-training"], 6000),
    "load": ("load.py", ["--duration", "10"], 1800),
}


def run(name: str, quick: bool) -> dict:
    script, quick_args, limit = BENCHMARKS[name]
    argv = [sys.executable, str(HERE / script), *(quick_args if quick else [])]
    print(f"\n######## {name}: {' '.join(argv[1:])} (limit {limit // 60} min)", flush=True)
    started = time.monotonic()
    try:
        completed = subprocess.run(argv, cwd=ROOT, timeout=limit, env=benchlib.quiet_env())
        status = "ok" if completed.returncode == 0 else f"exit {completed.returncode}"
    except subprocess.TimeoutExpired:
        status = f"timed out after {limit} s"
    return {"status": status, "seconds": round(time.monotonic() - started, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS), type=lambda s: [x for x in s.split(",") if x])
    parser.add_argument("--quick", action="store_true", help="a shorter smoke run")
    args = parser.parse_args()
    unknown = set(args.only) - set(BENCHMARKS)
    if unknown:
        raise SystemExit(f"unknown benchmarks: {', '.join(sorted(unknown))}")

    started = time.monotonic()
    runs = {name: run(name, args.quick) for name in args.only}
    sections = [f"# SafeShare HK benchmarks\n\nmachine: {json.dumps(benchlib.machine())}\n"]
    for name, outcome in runs.items():
        path = benchlib.RESULTS / f"{name}.json"
        table = ""
        if outcome["status"] == "ok" and path.exists():
            table = json.loads(path.read_text(encoding="utf-8")).get("table_markdown", "")
        sections.append(f"## {name} ({outcome['status']}, {outcome['seconds']:.0f} s)\n\n{table}\n")
    summary = "\n".join(sections)
    benchlib.RESULTS.mkdir(parents=True, exist_ok=True)
    (benchlib.RESULTS / "summary.md").write_text(summary, encoding="utf-8")
    print("\n" + summary)
    print(f"all benchmarks: {time.monotonic() - started:.0f} s; bench/results/summary.md")
    return 0 if all(o["status"] == "ok" for o in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
