"""The exact-match classifier: what counts as the same text, which examples it keeps, and that a
kept example's intent replaces DIET's (and only then)."""

from __future__ import annotations

from pathlib import Path

from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from safeshare.nlu.exact import ExactMatchClassifier, normalise


def test_normalise_ignores_case_punctuation_spacing_and_width():
    assert normalise("  Tell me MORE!! ") == "tell me more"
    assert normalise("講多啲？") == normalise("講多啲") == "講多啲"
    assert normalise("ＰＣＰＤ　電話") == "pcpd 電話"
    assert normalise("👍") == ""


def _trained(tmp_path: Path) -> tuple[ExactMatchClassifier, LocalModelStorage, Resource]:
    storage, resource = LocalModelStorage(tmp_path), Resource("exact")
    component = ExactMatchClassifier.create(
        ExactMatchClassifier.get_default_config(), storage, resource, None
    )
    examples = [
        Message(data={"text": "tell me more", "intent": "more"}),
        Message(data={"text": "thanks", "intent": "thank"}),
        Message(data={"text": "Thanks!", "intent": "feedback_helpful"}),  # the same text, two intents
        Message(data={"text": "how do I fix my phone", "intent": "out_of_scope"}),
    ]
    component.train(TrainingData(training_examples=examples))
    return component, storage, resource


def _parsed(text: str, intent: str, confidence: float) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    message.set(
        "intent_ranking",
        [{"name": intent, "confidence": confidence}, {"name": "more", "confidence": 0.2}],
        add_to_output=True,
    )
    return message


def test_an_example_word_for_word_gets_its_intent_after_loading(tmp_path):
    _, storage, resource = _trained(tmp_path)
    loaded = ExactMatchClassifier.load(ExactMatchClassifier.get_default_config(), storage, resource, None)
    message = _parsed("Tell me more!", "out_of_scope", 0.42)
    loaded.process([message])
    assert message.get("intent") == {"name": "more", "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")] == ["more", "out_of_scope"]


def test_other_texts_and_ambiguous_examples_keep_diets_intent(tmp_path):
    component, _, _ = _trained(tmp_path)
    assert "thanks" not in component.examples
    for text in ("thanks", "tell me more about the law", "/more"):
        message = _parsed(text, "feedback_helpful", 0.7)
        component.process([message])
        assert message.get("intent") == {"name": "feedback_helpful", "confidence": 0.7}
