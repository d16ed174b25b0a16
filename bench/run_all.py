"""Run every benchmark, one after the other, each in its own process (so memory and the CPU
are free again between them), and print one summary. What `make bench` runs.

Order: training (a cold `rasa train`), accuracy (two NLU trainings, then scoring; the default
pipeline's model is kept in bench/results/default-model/ and reused while its config and data are
unchanged, since it takes 40-90 min), the fallback thresholds on a split of the training data,
load (three set-ups, three levels each), one long conversation (the cost of a turn as it grows).
Each has a time limit; a benchmark that fails or runs over is reported and the others still run.
Results: bench/results/<name>.json and bench/results/summary.md.

Usage:
  python bench/run_all.py [--only training,accuracy,fallback_threshold,load,long_conversation]
                          [--quick]
--quick: 10 s per load level, a conversation of 100 turns instead of 400; accuracy without timing
our own training and with the default pipeline trained for 20 epochs instead of 100 (a smoke run:
the published figures come from a full run on a quiet machine).
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
    "accuracy": ("accuracy.py", ["--skip-our-training", "--default-epochs", "20"], 7800),
    "fallback_threshold": ("fallback_threshold.py", [], 3000),
    "load": ("load.py", ["--duration", "10"], 1800),
    "long_conversation": ("long_conversation.py", ["--turns", "100"], 1800),
}


def run(name: str, quick: bool) -> dict:
    script, quick_args, limit = BENCHMARKS[name]
    argv = [sys.executable, str(HERE / script), *(quick_args if quick else [])]
    if name == "accuracy" and not quick:
        argv += ["--default-dir", str(benchlib.RESULTS / "default-model")]
    print(f"\n######## {name}: {' '.join(argv[1:])} (limit {limit // 60} min)", flush=True)
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=ROOT, env=benchlib.quiet_env())
    try:
        returncode = process.wait(timeout=limit)
        status = "ok" if returncode == 0 else f"exit {returncode}"
    except subprocess.TimeoutExpired:
        _stop(process)
        status = f"timed out after {limit} s"
    except BaseException:
        _stop(process)
        raise
    return {"status": status, "seconds": round(time.monotonic() - started, 1)}


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM first: the benchmark then stops its stack and kills its training child."""
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS), type=lambda s: [x for x in s.split(",") if x])
    parser.add_argument("--quick", action="store_true", help="a shorter smoke run")
    args = parser.parse_args()
    unknown = set(args.only) - set(BENCHMARKS)
    if unknown:
        raise SystemExit(f"unknown benchmarks: {', '.join(sorted(unknown))}")

    benchlib.exit_on_sigterm()
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
