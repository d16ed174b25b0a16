"""Score the NLU on a labelled set (the held-out sets under tests/nlu_holdout/).

Figures: topic accuracy (the predicted intent is the label; a low-confidence `nlu_fallback`
counts as wrong), out-of-scope recall (out_of_scope messages predicted out_of_scope or
nlu_fallback), and in-scope false rejection (in-scope messages predicted out_of_scope or
nlu_fallback). Used by the CI test and by bench/accuracy.py.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REJECTIONS = {"out_of_scope", "nlu_fallback"}


def load_examples(path: Path) -> list[tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: list[tuple[str, str]] = []
    for block in data.get("nlu", []):
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                out.append((line[2:].strip(), block["intent"]))
    return out


def load_styled(path: Path) -> list[tuple[str, str, str]]:
    """(text, intent, style) from a development set (tests/nlu_dev/: `examples:` with a style each)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        (str(item["text"]).strip(), str(item["intent"]), str(item.get("style", "-")))
        for item in data.get("examples", [])
    ]


@dataclass
class Report:
    total: int = 0
    correct: int = 0
    per_intent: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    confusions: Counter = field(default_factory=Counter)
    oos_total: int = 0
    oos_rejected: int = 0
    inscope_total: int = 0
    inscope_rejected: int = 0
    errors: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def oos_recall(self) -> float:
        return self.oos_rejected / self.oos_total if self.oos_total else 0.0

    @property
    def false_rejection(self) -> float:
        return self.inscope_rejected / self.inscope_total if self.inscope_total else 0.0

    def worst(self, n: int = 5) -> list[tuple[str, float, int]]:
        rows = [(intent, ok / total, total) for intent, (ok, total) in self.per_intent.items()]
        return sorted(rows, key=lambda row: (row[1], row[0]))[:n]

    def totals(self) -> str:
        return (
            f"topic accuracy {self.accuracy:.1%} ({self.correct}/{self.total}); "
            f"out-of-scope recall {self.oos_recall:.1%}; "
            f"in-scope false rejections {self.false_rejection:.1%}"
        )

    def summary(self) -> str:
        """The totals, the worst topics and the top confusions (not for a set that is only
        measured: reading its mistakes would be tuning against it; `totals` then)."""
        lines = [
            self.totals(),
            "worst topics: " + ", ".join(f"{name} {score:.0%} (n={n})" for name, score, n in self.worst()),
        ]
        if self.confusions:
            lines.append(
                "top confusions: "
                + ", ".join(f"{a}->{b} x{c}" for (a, b), c in self.confusions.most_common(6))
            )
        return "\n".join(lines)


def score(examples: Iterable[tuple[str, str]], predict: Callable[[str], str]) -> Report:
    report = Report()
    for text, label in examples:
        predicted = predict(text)
        report.total += 1
        stats = report.per_intent[label]
        stats[1] += 1
        if predicted == label:
            report.correct += 1
            stats[0] += 1
        else:
            report.confusions[(label, predicted)] += 1
            report.errors.append((text, label, predicted))
        if label == "out_of_scope":
            report.oos_total += 1
            report.oos_rejected += predicted in REJECTIONS
        else:
            report.inscope_total += 1
            report.inscope_rejected += predicted in REJECTIONS
    return report
