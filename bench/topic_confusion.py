"""How well chosen topics are told apart from their neighbours, against the catalogue's average.

For each topic named (by default the three PDPO topics `hkid_collection`, `direct_marketing` and
`data_breach`) and each of its neighbours, on every labelled set that was never trained on:

- accuracy: the share of the topic's messages given the topic (a low-confidence fallback is wrong);
- misrouted: the share given another answer topic (the confusion a reader would see as a wrong answer);
- with each neighbour: messages of the topic given the neighbour, and the neighbour's given the topic;
- closest-pair confusion: the largest, over every other topic U, of (topic given U + U given topic)
  / (both topics' messages), i.e. how much it is mixed up with the neighbour it is most mixed up with.

The catalogue's average is the mean over every answer topic of the same figures, so a topic is
"no worse than the average" when its accuracy is at least, and its misrouted share and closest-pair
confusion at most, the mean.

Sets are pooled in two groups: the sets the pipeline was tuned against (tests/nlu_dev/,
tests/nlu_test/) and the untouched ones (tests/nlu_holdout/, tests/nlu_holdout_blind/ and, where
present, tests/nlu_test2/).

Usage: python bench/topic_confusion.py [--model PATH] [--topics a,b,c] [--errors]
Writes bench/results/topic_confusion.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import benchlib

from safeshare.catalogue import is_answer_topic
from safeshare.evaluation import REJECTIONS, load_examples, load_styled

ROOT = benchlib.ROOT
LANGUAGES = ("en", "zh")
GROUPS = {
    "tuned (dev + test)": [("styled", "nlu_dev"), ("styled", "nlu_test")],
    "untouched (held-out + blind + test2)": [
        ("plain", "nlu_holdout"),
        ("plain", "nlu_holdout_blind"),
        ("styled", "nlu_test2"),
    ],
}
NEW_TOPICS = ("hkid_collection", "direct_marketing", "data_breach")
NEIGHBOURS = {
    "hkid_collection": (
        "complaint_process",
        "data_access_request",
        "pdpo_overview",
        "pdpo_principles",
        "data_breach",
    ),
    "direct_marketing": (
        "complaint_process",
        "pdpo_overview",
        "pdpo_principles",
        "data_breach",
        "deepfake_scam",
    ),
    "data_breach": (
        "school_data_security",
        "complaint_process",
        "doxxing_law",
        "pdpo_overview",
        "deepfake_scam",
        "hkid_collection",
    ),
}


def load_group(sets: list[tuple[str, str]], language: str) -> list[tuple[str, str]]:
    examples: list[tuple[str, str]] = []
    for kind, folder in sets:
        path = ROOT / "tests" / folder / f"{language}.yml"
        if not path.exists():
            continue
        if kind == "styled":
            examples += [(text, intent) for text, intent, _ in load_styled(path)]
        else:
            examples += load_examples(path)
    return examples


def figures(pairs: list[tuple[str, str]]) -> dict[str, dict]:
    """Per answer topic: n, accuracy, misrouted share, closest pair; pairs are (label, predicted)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    mixed: Counter = Counter()  # frozenset({a, b}) -> messages of either given the other
    for label, predicted in pairs:
        counts[label]["n"] += 1
        counts[label]["right"] += predicted == label
        counts[label]["misrouted"] += predicted != label and predicted not in REJECTIONS
        if predicted != label and is_answer_topic(predicted):
            mixed[frozenset((label, predicted))] += 1
    topics = [topic for topic in counts if is_answer_topic(topic)]
    out = {}
    for topic in topics:
        rates = [
            (mixed[frozenset((topic, other))] / (counts[topic]["n"] + counts[other]["n"]), other)
            for other in topics
            if other != topic
        ]
        closest_rate, closest = max(rates) if rates else (0.0, None)
        out[topic] = {
            "n": counts[topic]["n"],
            "accuracy": counts[topic]["right"] / counts[topic]["n"],
            "misrouted": counts[topic]["misrouted"] / counts[topic]["n"],
            "closest_pair": closest_rate,
            "closest_neighbour": closest if closest_rate else None,
        }
    return out


async def predict_all(model: Path) -> dict[str, str]:
    agent = await benchlib.load_parser(model)
    texts = {
        text for sets in GROUPS.values() for language in LANGUAGES for text, _ in load_group(sets, language)
    }
    predictions = {}
    for text in sorted(texts):
        parsed = await agent.parse_message(text)
        predictions[text] = (parsed.get("intent") or {}).get("name") or "None"
    return predictions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="score this model instead of models/safeshare.tar.gz")
    parser.add_argument("--topics", default=",".join(NEW_TOPICS), help="comma-separated topic ids")
    parser.add_argument(
        "--errors",
        action="store_true",
        help="print the topics' wrong predictions on the tuned sets (never the others')",
    )
    args = parser.parse_args()
    from safeshare import launcher

    os.chdir(ROOT)
    launcher.ensure_spacy()
    model = Path(args.model) if args.model else launcher.MODEL
    predictions = asyncio.run(predict_all(model))
    topics = [t for t in args.topics.split(",") if t]
    results: dict[str, dict] = {}
    for group, sets in GROUPS.items():
        for language in LANGUAGES + ("both",):
            languages = LANGUAGES if language == "both" else (language,)
            examples = [ex for lang in languages for ex in load_group(sets, lang)]
            pairs = [(label, predictions[text]) for text, label in examples]
            per_topic = figures(pairs)
            average = {
                key: sum(f[key] for f in per_topic.values()) / len(per_topic)
                for key in ("accuracy", "misrouted", "closest_pair")
            }
            key = f"{group} / {language}"
            results[key] = {"catalogue_average": average, "topics": {}}
            print(
                f"\n## {key}: catalogue average over {len(per_topic)} topics: "
                f"accuracy {average['accuracy']:.1%}, misrouted {average['misrouted']:.1%}, "
                f"closest-pair confusion {average['closest_pair']:.1%}"
            )
            for topic in topics:
                mine = per_topic.get(topic)
                if not mine:
                    continue
                rows = []
                for neighbour in NEIGHBOURS.get(topic, ()):
                    out = sum(1 for a, b in pairs if a == topic and b == neighbour)
                    back = sum(1 for a, b in pairs if a == neighbour and b == topic)
                    n_neighbour = per_topic.get(neighbour, {}).get("n", 0)
                    rows.append(
                        {
                            "neighbour": neighbour,
                            "topic_to_neighbour": out,
                            "neighbour_to_topic": back,
                            "neighbour_n": n_neighbour,
                        }
                    )
                worse = [
                    name
                    for name, bad in (
                        ("accuracy", mine["accuracy"] < average["accuracy"]),
                        ("misrouted", mine["misrouted"] > average["misrouted"]),
                        ("closest pair", mine["closest_pair"] > average["closest_pair"]),
                    )
                    if bad
                ]
                verdict = (
                    "no worse than average" if not worse else "worse than average on " + ", ".join(worse)
                )
                print(
                    f"- {topic} (n={mine['n']}): accuracy {mine['accuracy']:.1%}, "
                    f"misrouted {mine['misrouted']:.1%}, closest-pair confusion {mine['closest_pair']:.1%}"
                    f" ({mine['closest_neighbour'] or '-'}): {verdict}"
                )
                for row in rows:
                    print(
                        f"    vs {row['neighbour']}: {row['topic_to_neighbour']} of {mine['n']} given it, "
                        f"{row['neighbour_to_topic']} of its {row['neighbour_n']} given {topic}"
                    )
                if args.errors and group.startswith("tuned"):
                    for text, label in examples:
                        if label == topic and predictions[text] != topic:
                            print(f"      miss -> {predictions[text]}: {text[:110]}")
                        elif predictions[text] == topic and label != topic:
                            print(f"      false {label} -> it: {text[:110]}")
                results[key]["topics"][topic] = {**mine, "neighbours": rows, "verdict": verdict}
    out = ROOT / "bench" / "results" / "topic_confusion.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
