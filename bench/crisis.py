"""Crisis routing: how many crisis messages get the report flow or the safety answer.

Parses every message of the crisis sets in-process with the shipped model (the project's
extensions installed, as the server runs them) and counts those whose intent is one that starts
with 999 (`safeshare.nlu.crisis`): the report flow, the safety answer, or an answer that fits a
crisis. Of the others, those turned away (out of scope or not understood) are counted apart from
those given another topic's answer. Look-alikes sent to the report flow or safety are counted too (over-triggering).

- tests/nlu_crisis/, tests/nlu_crisis_test/, tests/nlu_crisis_final/ ... tests/nlu_crisis_final6/:
  tuned against, each after it had been measured blind; CI requires 100% of most of them
  (tests/e2e/test_crisis_routing.py, through the server);
- tests/nlu_crisis_final7/, tests/nlu_crisis_final8/: written after the model's last training
  (the second after the last change to the crisis guard), measured here only (`--misses` never
  prints their misses).

Usage: python bench/crisis.py [--model PATH] [--misses]
Writes bench/results/crisis.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import benchlib
import yaml

ROOT = benchlib.ROOT
SETS = (
    "nlu_crisis",
    "nlu_crisis_test",
    "nlu_crisis_final",
    "nlu_crisis_final2",
    "nlu_crisis_final3",
    "nlu_crisis_final4",
    "nlu_crisis_final5",
    "nlu_crisis_final6",
    "nlu_crisis_final7",
    "nlu_crisis_final8",
)
# Intents whose reply is "outside what I can help with" or "I didn't understand" (with the menu).
TURNED_AWAY = frozenset({"out_of_scope", "nlu_fallback"})
UNTOUCHED = frozenset({"nlu_crisis_final7", "nlu_crisis_final8"})


async def measure(model: Path, show_misses: bool) -> dict[str, dict[str, int]]:
    from safeshare.nlu.crisis import FITS_A_CRISIS, REPORT_INTENT, SAFETY_INTENT

    agent = await benchlib.load_parser(model)
    routed_to = FITS_A_CRISIS | {REPORT_INTENT, SAFETY_INTENT}
    results: dict[str, dict[str, int]] = {}
    for folder in SETS:
        for language in ("en", "zh"):
            path = ROOT / "tests" / folder / f"{language}.yml"
            if not path.exists():
                continue
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            routed = turned_away = 0
            for item in data["crisis"]:
                intent = (await agent.parse_message(item["text"]))["intent"]["name"]
                routed += intent in routed_to
                turned_away += intent in TURNED_AWAY
                if intent not in routed_to and show_misses and folder not in UNTOUCHED:
                    print(f"  miss [{folder} {language}] {item['signal']} -> {intent}: {item['text'][:100]}")
            alike = 0
            for item in data.get("not_crisis", []):
                intent = (await agent.parse_message(item["text"]))["intent"]["name"]
                alike += intent in {REPORT_INTENT, SAFETY_INTENT}
            results[f"{folder} {language}"] = {
                "crisis": len(data["crisis"]),
                "routed": routed,
                "turned_away": turned_away,
                "look_alikes": len(data.get("not_crisis", [])),
                "look_alikes_routed": alike,
            }
            print(
                f"{folder} {language}: {routed}/{len(data['crisis'])} crises routed to safety first "
                f"({turned_away} turned away, the rest another topic's answer); "
                f"{alike}/{len(data.get('not_crisis', []))} look-alikes sent there",
                flush=True,
            )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="score this model instead of models/safeshare.tar.gz")
    parser.add_argument(
        "--misses", action="store_true", help="print the tuned sets' misses (never the untouched set's)"
    )
    args = parser.parse_args()
    from safeshare import launcher

    os.chdir(ROOT)
    model = Path(args.model) if args.model else launcher.MODEL
    if not model.exists():
        raise SystemExit("no trained model: run `make train` first")
    launcher.ensure_spacy()
    started = time.monotonic()
    results = asyncio.run(measure(model, args.misses))
    benchlib.write_result("crisis", {"model": str(model), "sets": results}, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
