"""The count-vector featurizer without token features (safeshare/nlu/sentence_only.py) gives
what Rasa's gives once `SentenceFeaturesOnly` has dropped the token features: the same whole-message
features, in the same order, and the same features of every other attribute, for every message of
the development sets and odd input, with the trained model's vocabularies."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.message import Message

from safeshare.nlu.sentence_only import SentenceCountVectorsFeaturizer, drop_sequence_features
from tests.helpers import parse_dev_and_odd_texts

pytestmark = pytest.mark.model


def as_rasas(component: SentenceCountVectorsFeaturizer) -> CountVectorsFeaturizer:
    """The same trained featurizer (vocabulary, settings) as Rasa's own class."""
    rasas = copy.copy(component)
    rasas.__class__ = CountVectorsFeaturizer
    return rasas


def snapshot(message: Message) -> Message:
    """A copy whose features list is its own (a featurizer appends to it; the features, the
    tokens and the spaCy document are not changed, so they are shared)."""
    return Message(data=dict(message.data), features=list(message.features))


def matrix(m: object) -> tuple:
    """A sparse matrix as DIET reads it: its format, dtype, shape and entries in stored order."""
    coo = m.tocoo() if m.format != "coo" else m  # type: ignore[attr-defined]
    return (
        m.format,  # type: ignore[attr-defined]
        str(m.dtype),  # type: ignore[attr-defined]
        m.shape,  # type: ignore[attr-defined]
        coo.row.tolist(),
        coo.col.tolist(),
        coo.data.tolist(),
    )


def described(message: Message) -> list[tuple[str, str, str, tuple]]:
    return [(f.attribute, f.type, str(f.origin), matrix(f.features)) for f in message.features]


@pytest.fixture(scope="module")
def featurized(trained_model: Path) -> list[tuple[Message, Message, Message]]:
    """For each message each featurizer saw: what it had before, Rasa's result, ours."""
    seen: list[tuple[Message, Message, Message]] = []
    original = SentenceCountVectorsFeaturizer.process

    def compare(self: SentenceCountVectorsFeaturizer, messages: list[Message]) -> list[Message]:
        before = [snapshot(m) for m in messages]
        theirs = as_rasas(self).process([snapshot(m) for m in messages])
        ours = original(self, messages)
        seen.extend(zip(before, theirs, [snapshot(m) for m in ours], strict=True))
        return ours

    SentenceCountVectorsFeaturizer.process = compare  # type: ignore[method-assign]
    try:
        parse_dev_and_odd_texts(trained_model)
    finally:
        SentenceCountVectorsFeaturizer.process = original  # type: ignore[method-assign]
    return seen


def test_the_shipped_model_uses_it_for_both_featurizers(featurized):
    assert len(featurized) >= 2 * 1000


def test_the_same_features_as_rasas_once_token_features_are_dropped(featurized):
    texts = 0
    for before, theirs, ours in featurized:
        added_theirs = theirs.features[len(before.features) :]
        added_ours = ours.features[len(before.features) :]
        if any(f.type == FEATURE_TYPE_SENTENCE and f.attribute == TEXT for f in added_theirs):
            texts += 1
            # Rasa's builds the text's token features; ours does not ...
            assert any(f.type == FEATURE_TYPE_SEQUENCE and f.attribute == TEXT for f in added_theirs)
            assert not any(f.type == FEATURE_TYPE_SEQUENCE and f.attribute == TEXT for f in added_ours)
            assert any(f.type == FEATURE_TYPE_SENTENCE and f.attribute == TEXT for f in added_ours)
        # ... and after SentenceFeaturesOnly the two messages are the same
        for message in (theirs, ours):
            drop_sequence_features(message)
        assert described(ours) == described(theirs), before.get(TEXT)
    assert texts >= 2 * 1000
