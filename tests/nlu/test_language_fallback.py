"""One fallback threshold per language."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from safeshare.nlu.fallback import LanguageFallbackClassifier

CONFIG = {"threshold": 0.3, "thresholds": {"en": 0.35, "zh": 0.25}, "ambiguity_threshold": 0.0}


@pytest.mark.parametrize(
    ("text", "confidence", "falls_back"),
    [
        ("how do i report a fake video", 0.33, True),
        ("how do i report a fake video", 0.36, False),
        ("點樣舉報假片", 0.27, False),
        ("點樣舉報假片", 0.24, True),
        ("ok", 0.29, True),
        ("ok", 0.31, False),
    ],
)
def test_threshold_by_language(text, confidence, falls_back):
    message = Message(data={"text": text})
    message.set("intent", {"name": "report_deepfake", "confidence": confidence})
    message.set("intent_ranking", [{"name": "report_deepfake", "confidence": confidence}])
    LanguageFallbackClassifier(CONFIG).process([message])
    assert (message.get("intent")["name"] == "nlu_fallback") == falls_back
