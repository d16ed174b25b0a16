"""How the fallback thresholds trade in-scope false rejections for out-of-scope recall, measured on
a split of the training data (never on the held-out sets, so they stay fit to score the result).

Splits data/nlu 80/20 (stratified by intent, fixed seed), trains our NLU pipeline on the 80% with
the FallbackClassifier disabled, parses the 20%, and applies each (threshold, ambiguity) pair to
the raw intent ranking: the same rule FallbackClassifier applies (top confidence under the
threshold, or the top two closer than the ambiguity threshold, means `nlu_fallback`).

Usage:
  python bench/fallback_threshold.py [--seed 7] [--keep]
Writes bench/results/fallback_threshold.json and prints a table. ~5 min on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import benchlib
import yaml

ROOT = benchlib.ROOT
THRESHOLDS = (0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
AMBIGUITIES = (0.0, 0.02, 0.05, 0.1)
REJECTIONS = {"out_of_scope", "nlu_fallback"}


def split(work: Path, seed: int) -> tuple[Path, Path, Path]:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data

    train, test = load_data(str(ROOT / "data" / "nlu")).train_test_split(train_frac=0.8, random_seed=seed)
    train_path, test_path = work / "train.yml", work / "test.yml"
    train_path.write_text(RasaYAMLWriter().dumps(train), encoding="utf-8")
    test_path.write_text(RasaYAMLWriter().dumps(test), encoding="utf-8")
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    current = {}
    for component in config["pipeline"]:
        if component["name"].endswith("FallbackClassifier"):
            current = {
                "threshold": component["threshold"],
                "thresholds": component.get("thresholds"),
                "ambiguity": component["ambiguity_threshold"],
            }
            component["threshold"] = 0.0
            component["thresholds"] = {}
            component["ambiguity_threshold"] = 0.0
    config["policies"] = []
    config_path = work / "config.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    print(
        f"split: {len(train.intent_examples)} to train, {len(test.intent_examples)} to test; config {current}"
    )
    return train_path, test_path, config_path


async def rankings(model: Path, test: Path) -> list[tuple[str, list[tuple[str, float]]]]:
    from rasa.core.agent import load_agent
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = await load_agent(model_path=str(model))
    rows = []
    for example in load_data(str(test)).intent_examples:
        parsed = await agent.parse_message(example.get("text"))
        ranking = [(r["name"], r["confidence"]) for r in (parsed.get("intent_ranking") or [])[:2]]
        rows.append((example.get("intent"), ranking))
    return rows


def sweep(rows: list[tuple[str, list[tuple[str, float]]]]) -> list[dict[str, Any]]:
    out = []
    for ambiguity in AMBIGUITIES:
        for threshold in THRESHOLDS:
            correct = rejected_in = in_scope = rejected_out = out_of_scope = 0
            for label, ranking in rows:
                name, top = ranking[0]
                second = ranking[1][1] if len(ranking) > 1 else 0.0
                predicted = "nlu_fallback" if top < threshold or top - second < ambiguity else name
                correct += predicted == label
                if label == "out_of_scope":
                    out_of_scope += 1
                    rejected_out += predicted in REJECTIONS
                else:
                    in_scope += 1
                    rejected_in += predicted in REJECTIONS
            out.append(
                {
                    "threshold": threshold,
                    "ambiguity": ambiguity,
                    "accuracy": round(correct / len(rows), 4),
                    "out_of_scope_recall": round(rejected_out / max(out_of_scope, 1), 4),
                    "in_scope_false_rejection": round(rejected_in / max(in_scope, 1), 4),
                }
            )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temporary model")
    args = parser.parse_args()
    benchlib.exit_on_sigterm()
    from safeshare import launcher

    os.chdir(ROOT)
    launcher.ensure_spacy()
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="safeshare-bench-threshold-"))
    try:
        train, test, config = split(work, args.seed)
        print("training on the 80% ...", flush=True)
        model = benchlib.train_nlu(config, work, "split", timeout=3600, nlu=train)["model"]
        rows = asyncio.run(rankings(Path(model), test))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    results = sweep(rows)
    table = benchlib.markdown_table(
        ["ambiguity", "threshold", "accuracy", "out-of-scope recall", "in-scope false rejections"],
        [
            [
                r["ambiguity"],
                r["threshold"],
                f"{r['accuracy']:.1%}",
                f"{r['out_of_scope_recall']:.1%}",
                f"{r['in_scope_false_rejection']:.1%}",
            ]
            for r in results
        ],
    )
    print(table)
    benchlib.write_result(
        "fallback_threshold",
        {
            "seed": args.seed,
            "n": len(rows),
            "sweep": results,
            "table_markdown": table,
        },
        started,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
