"""Sentence features only: what DIET without transformer layers reads for the intent, nothing more."""

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import yaml
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from safeshare.nlu.sentence_only import SentenceFeaturesOnly, check_config

ROOT = Path(__file__).resolve().parents[2]


def featurized(text: str) -> Message:
    message = Message(data={TEXT: text, INTENT: "greet"})
    tokens = len(text.split())
    for origin in ("words", "chars"):
        matrix = scipy.sparse.coo_matrix(np.ones((tokens, 3)))
        message.add_features(Features(matrix, FEATURE_TYPE_SEQUENCE, TEXT, origin))
        message.add_features(
            Features(scipy.sparse.coo_matrix(np.ones((1, 3))), FEATURE_TYPE_SENTENCE, TEXT, origin)
        )
    message.add_features(
        Features(scipy.sparse.coo_matrix(np.ones((1, 2))), FEATURE_TYPE_SEQUENCE, INTENT, "words")
    )
    return message


def kinds(message: Message) -> list[tuple[str, str, str]]:
    return [(f.attribute, f.type, f.origin) for f in message.features]


def test_the_texts_token_features_go_and_the_rest_stays():
    component = SentenceFeaturesOnly()
    message = featurized("someone posted my photo")
    sentence_before = [
        f.features.toarray().tolist() for f in message.features if f.type == FEATURE_TYPE_SENTENCE
    ]
    (out,) = component.process([message])
    assert kinds(out) == [
        (TEXT, FEATURE_TYPE_SENTENCE, "words"),
        (TEXT, FEATURE_TYPE_SENTENCE, "chars"),
        (INTENT, FEATURE_TYPE_SEQUENCE, "words"),
        (TEXT, FEATURE_TYPE_SEQUENCE, "sentence_only"),
    ]
    assert [
        f.features.toarray().tolist() for f in out.features if f.type == FEATURE_TYPE_SENTENCE
    ] == sentence_before
    # DIET's sequence layer needs token features: one token, one constant feature, whatever the text
    (placeholder,) = [f for f in out.features if f.origin == "sentence_only"]
    assert placeholder.features.toarray().tolist() == [[1.0]]


def test_a_message_without_text_features_is_left_alone():
    message = Message(data={INTENT: "greet"})
    SentenceFeaturesOnly().process([message])
    assert message.features == []


def test_training_data_too():
    examples = [featurized("hello there"), featurized("點樣 set IG private")]
    out = SentenceFeaturesOnly().process_training_data(TrainingData(training_examples=examples))
    for example in out.training_examples:
        assert (TEXT, FEATURE_TYPE_SEQUENCE, "words") not in kinds(example)
        assert (TEXT, FEATURE_TYPE_SEQUENCE, "sentence_only") in kinds(example)
        assert (TEXT, FEATURE_TYPE_SENTENCE, "chars") in kinds(example)


def test_the_shipped_pipeline_reads_no_token_features():
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    check_config(pipeline)  # raises if DIET or another component after it would need them
    names = [step["name"] for step in pipeline]
    assert (
        names.index("safeshare.nlu.sentence_only.SentenceFeaturesOnly")
        == names.index("safeshare.nlu.sentence_diet.SentenceDIETClassifier") - 1
    )
    # A featurizer that only makes token features would be work for nothing.
    assert "LexicalSyntacticFeaturizer" not in names


@pytest.mark.parametrize(
    "diet",
    [
        {"name": "DIETClassifier", "number_of_transformer_layers": 2, "entity_recognition": False},
        {"name": "DIETClassifier", "number_of_transformer_layers": 0, "entity_recognition": True},
        {"name": "DIETClassifier"},  # Rasa's defaults: two transformer layers, entities on
    ],
)
def test_a_pipeline_that_needs_token_features_is_refused(diet):
    with pytest.raises(ValueError, match="token features"):
        check_config([{"name": "safeshare.nlu.sentence_only.SentenceFeaturesOnly"}, diet])
