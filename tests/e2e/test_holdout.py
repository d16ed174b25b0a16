"""The held-out sets (never trained on), scored against the real trained model through the server.

- tests/nlu_holdout/: written with the training data (fail below 90%);
- tests/nlu_holdout_blind/: written later from the topic catalogue alone, without reading the
  training data or the first set. Its floors sit a few points under what it measured, so the
  test catches a regression without being tuned to the set.
"""

import httpx
import pytest

from safeshare.evaluation import load_examples, load_styled, score
from safeshare.settings import PROJECT_ROOT, get_settings
from tests.helpers import REPORTS

pytestmark = pytest.mark.model

# Each set has only 13-57 out-of-scope near misses, and a model retrained from the same data and
# config moves their recall by up to 12 points (docs/benchmarks.md, "Training is not repeatable";
# tests/nlu_test5/ English: 80.0% with one training run, 72.5% with the next): per set, the
# out-of-scope floor only catches a collapse; the near misses of the styled sets pooled per
# language (~270) carry the real floor (test_out_of_scope_pooled).
#
# (folder, language): minimum size, topic accuracy, out-of-scope recall, in-scope false rejections
FLOORS = {
    ("nlu_holdout", "en"): (150, 0.90, 0.60, 0.05),
    ("nlu_holdout", "zh"): (150, 0.90, 0.60, 0.05),
    ("nlu_holdout_blind", "en"): (190, 0.90, 0.60, 0.05),
    ("nlu_holdout_blind", "zh"): (190, 0.87, 0.60, 0.05),
}


def _server_intent(stack):
    """The intent the running server gives a text (`/model/parse`)."""
    client = httpx.Client(timeout=30)
    token = get_settings().rasa_token

    def predict(text: str) -> str:
        response = client.post(f"{stack.rasa_url}/model/parse", params={"token": token}, json={"text": text})
        response.raise_for_status()
        return response.json()["intent"]["name"]

    return predict


def _check(
    report, name: str, accuracy: float, oos_recall: float, false_rejection: float, measured_only: bool = False
) -> None:
    said = report.totals() if measured_only else report.summary()
    REPORTS.append(f"{name}: {said}")
    assert report.accuracy >= accuracy, said
    assert report.oos_recall >= oos_recall, said
    assert report.false_rejection <= false_rejection, said


@pytest.mark.parametrize(("folder", "language"), list(FLOORS))
def test_held_out_topic_accuracy(stack, folder, language):
    report = score(load_examples(PROJECT_ROOT / "tests" / folder / f"{language}.yml"), _server_intent(stack))
    size, *floors = FLOORS[(folder, language)]
    assert report.total >= size
    _check(report, f"{folder} {language}", *floors)


# Sets written from the catalogue and the style guide alone, in six writing styles (situations,
# long stories, typos, code-mixing, formal letters, terse): tests/nlu_dev/ was tuned against,
# tests/nlu_test/ was written after that tuning and later tuned against too, tests/nlu_test2/ to
# tests/nlu_test10/ were written later and are only measured. Topic-accuracy floors a few points
# under what they measured (docs/benchmarks.md); out-of-scope recall per set only against a
# collapse (see above); in-scope false rejections at most 6% per set (a retrained model moves a
# set's figure by about a point) and 5% pooled.
STYLED_FLOORS = {
    ("nlu_dev", "en"): (0.87, 0.60, 0.06),
    ("nlu_dev", "zh"): (0.87, 0.60, 0.06),
    ("nlu_test", "en"): (0.85, 0.60, 0.06),
    ("nlu_test", "zh"): (0.86, 0.60, 0.06),
    ("nlu_test2", "en"): (0.87, 0.60, 0.06),
    ("nlu_test2", "zh"): (0.87, 0.60, 0.06),
    ("nlu_test3", "en"): (0.84, 0.60, 0.06),
    ("nlu_test3", "zh"): (0.85, 0.60, 0.06),
    ("nlu_test4", "en"): (0.85, 0.60, 0.06),
    ("nlu_test4", "zh"): (0.86, 0.60, 0.06),
    ("nlu_test5", "en"): (0.88, 0.60, 0.06),
    ("nlu_test5", "zh"): (0.87, 0.60, 0.06),
    # Chinese near misses of this set: 70.0% and 72.5% with the two models before the Chinese
    # near-miss data (28-29 of 40), the lowest of any set, so its collapse floor sits lower.
    ("nlu_test6", "en"): (0.88, 0.60, 0.06),
    ("nlu_test6", "zh"): (0.86, 0.50, 0.06),
    ("nlu_test7", "en"): (0.88, 0.60, 0.06),
    ("nlu_test7", "zh"): (0.88, 0.60, 0.06),
    ("nlu_test8", "en"): (0.87, 0.60, 0.06),
    ("nlu_test8", "zh"): (0.88, 0.60, 0.06),
    ("nlu_test9", "en"): (0.87, 0.60, 0.06),
    ("nlu_test9", "zh"): (0.88, 0.60, 0.06),
    ("nlu_test10", "en"): (0.88, 0.60, 0.06),
    ("nlu_test10", "zh"): (0.87, 0.60, 0.06),
}
# Only measured: their totals are printed, never their worst topics or confusions.
MEASURED_ONLY = {
    "nlu_test2",
    "nlu_test3",
    "nlu_test4",
    "nlu_test5",
    "nlu_test6",
    "nlu_test7",
    "nlu_test8",
    "nlu_test9",
    "nlu_test10",
}
# Pooled over the styled sets of one language: out-of-scope recall, in-scope false rejections.
POOLED_FLOORS = {"en": (0.80, 0.05), "zh": (0.80, 0.05)}
_predictions: dict[str, str] = {}


def _styled(folder: str, language: str) -> list[tuple[str, str]]:
    examples = load_styled(PROJECT_ROOT / "tests" / folder / f"{language}.yml")
    assert len(examples) >= 380  # 10 per topic (35-36 topics) and 40 near misses
    return [(text, intent) for text, intent, _style in examples]


def _cached(predict):
    def cached(text: str) -> str:
        if text not in _predictions:
            _predictions[text] = predict(text)
        return _predictions[text]

    return cached


@pytest.mark.parametrize(("folder", "language"), list(STYLED_FLOORS))
def test_styled_sets(stack, folder, language):
    report = score(_styled(folder, language), _cached(_server_intent(stack)))
    _check(
        report,
        f"{folder} {language}",
        *STYLED_FLOORS[(folder, language)],
        measured_only=folder in MEASURED_ONLY,
    )


@pytest.mark.parametrize("language", list(POOLED_FLOORS))
def test_out_of_scope_pooled(stack, language):
    examples = [ex for folder, lang in STYLED_FLOORS if lang == language for ex in _styled(folder, language)]
    report = score(examples, _cached(_server_intent(stack)))
    assert report.oos_total >= 150
    REPORTS.append(f"styled sets pooled {language}: {report.totals()}")  # measured-only sets in it
    oos_recall, false_rejection = POOLED_FLOORS[language]
    assert report.oos_recall >= oos_recall, report.totals()
    assert report.false_rejection <= false_rejection, report.totals()
