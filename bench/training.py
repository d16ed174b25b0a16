"""Training cost: wall time and peak memory of a full `rasa train` (NLU + dialogue), and the size
of the model it produces.

It trains the project as `make train` does (config.yml, domain.yml, data/) but into a temporary
folder with an empty Rasa cache of its own, so it measures a cold training and never replaces
models/safeshare.tar.gz. Peak memory is the largest resident set of the training's process tree,
sampled every 0.25 s, and the kernel's own maximum for the largest single process.

Usage:
  python bench/training.py [--timeout 2400] [--keep]
Writes bench/results/training.json.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import benchlib

ROOT = benchlib.ROOT


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=2400, help="seconds allowed (default 2400)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary model and log")
    args = parser.parse_args()
    benchlib.exit_on_sigterm()

    from safeshare import launcher

    launcher.ensure_spacy()
    work = Path(tempfile.mkdtemp(prefix="safeshare-bench-training-"))
    started = time.monotonic()
    try:
        env = benchlib.quiet_env({"RASA_CACHE_DIRECTORY": str(work / "cache")})
        argv = [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            "data",
            "--out",
            str(work),
            "--fixed-model-name",
            "bench",
        ]
        log = work / "train.log"
        print(f"rasa train into {work} (cold cache; log: {log}) ...", flush=True)
        result = benchlib.run_timed(argv, cwd=ROOT, env=env, log=log, timeout=args.timeout)
        if result["returncode"] != 0:
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise SystemExit(f"`rasa train` failed:\n{tail}")
        kernel_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        model = next(work.glob("bench*.tar.gz"))
        shipped = launcher.MODEL
        data = {
            "wall_seconds": result["seconds"],
            "peak_rss_tree_mib": result["peak_rss_mib"],
            "peak_rss_largest_process_mib": benchlib.mib(kernel_peak),
            "model_mib": benchlib.mib(model.stat().st_size),
            "shipped_model_mib": benchlib.mib(shipped.stat().st_size) if shipped.exists() else None,
            "training_examples": _count_examples(),
        }
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    rows = [
        ["wall time", f"{data['wall_seconds']:.0f} s"],
        ["peak RSS (process tree, sampled)", f"{data['peak_rss_tree_mib']:.0f} MiB"],
        ["peak RSS (largest process, kernel)", f"{data['peak_rss_largest_process_mib']:.0f} MiB"],
        ["model size", f"{data['model_mib']:.1f} MiB"],
        [
            "shipped model size (models/safeshare.tar.gz)",
            f"{data['shipped_model_mib']:.1f} MiB" if data["shipped_model_mib"] else "-",
        ],
        ["NLU training examples", data["training_examples"]],
    ]
    table = benchlib.markdown_table(["rasa train (cold cache)", "value"], rows)
    print()
    print(table)
    benchlib.write_result("training", {**data, "table_markdown": table}, started)
    return 0


def _count_examples() -> int:
    """Intent examples as Rasa reads them (entity gazetteers and synonyms are not examples)."""
    from rasa.shared.nlu.training_data.loading import load_data

    return len(load_data(str(ROOT / "data" / "nlu")).intent_examples)


if __name__ == "__main__":
    sys.exit(main())
