"""The held-out sets (never trained on), scored against the real trained model: fail below 90%."""

import httpx
import pytest

from safeshare.evaluation import load_examples, score
from safeshare.settings import PROJECT_ROOT, get_settings
from tests.helpers import REPORTS

pytestmark = pytest.mark.model


@pytest.mark.parametrize("language", ["en", "zh"])
def test_held_out_topic_accuracy(stack, language):
    client = httpx.Client(timeout=30)
    token = get_settings().rasa_token

    def predict(text: str) -> str:
        response = client.post(f"{stack.rasa_url}/model/parse", params={"token": token}, json={"text": text})
        response.raise_for_status()
        return response.json()["intent"]["name"]

    report = score(load_examples(PROJECT_ROOT / "tests" / "nlu_holdout" / f"{language}.yml"), predict)
    REPORTS.append(f"held-out {language}: {report.summary()}")
    assert report.total >= 150
    assert report.accuracy >= 0.90, report.summary()
    assert report.oos_recall >= 0.80, report.summary()
