"""CPU per NLU parse of trained models, in this process: what the pipeline costs on its own.

Loads each model with Rasa's `Agent`, parses the development sets' messages (tests/nlu_dev/,
1,012 messages written as people write) once to warm up, then `--rounds` more times, and prints
the process CPU time per parse. Threads as the Rasa server has them (TensorFlow and BLAS one
each, as `safeshare.launcher` and `safeshare.nlu.sentence_diet` set them). Each model runs in a
fresh process, one after another, so that two models (two pipelines) compare in one run.

Usage:
  python bench/parse_cost.py [--models LABEL=PATH,...] [--rounds 2]
Default: the trained model (models/safeshare.tar.gz).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
THREADS = {
    "TF_INTER_OP_PARALLELISM_THREADS": "1",
    "TF_INTRA_OP_PARALLELISM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}


def texts() -> list[str]:
    out: list[str] = []
    for path in sorted((ROOT / "tests" / "nlu_dev").glob("*.yml")):
        out += [str(e["text"]) for e in yaml.safe_load(path.read_text(encoding="utf-8"))["examples"]]
    return out


def measure(model: str, rounds: int) -> dict[str, float]:
    """In this process: CPU and wall time per parse of the development messages."""
    logging.disable(logging.WARNING)
    sys.path.insert(0, str(ROOT))
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    messages = texts()

    async def parse_all() -> None:
        for text in messages:
            await agent.parse_message(text)

    asyncio.run(parse_all())  # warm-up
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(rounds):
        asyncio.run(parse_all())
    parses = rounds * len(messages)
    return {
        "parses": parses,
        "cpu_ms_per_parse": round(1000 * (time.process_time() - cpu) / parses, 2),
        "wall_ms_per_parse": round(1000 * (time.perf_counter() - wall) / parses, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=f"trained={ROOT / 'models' / 'safeshare.tar.gz'}")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one model, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.rounds)))
        return 0
    rows = []
    for item in args.models.split(","):
        label, _, path = item.partition("=")
        result = subprocess.run(
            [sys.executable, __file__, "--one", path, "--rounds", str(args.rounds)],
            env={**os.environ, **THREADS},
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        rows.append((label, path, figures))
        print(f"{label}: {figures}", flush=True)
    print("\n| model | parses | CPU ms per parse | wall ms per parse |\n|---|---|---|---|")
    for label, _path, figures in rows:
        print(
            f"| {label} | {figures['parses']} | {figures['cpu_ms_per_parse']} | {figures['wall_ms_per_parse']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
