"""Give the intent classifier the whole-message features only.

DIET has no transformer layers here (config.yml), so nothing mixes the tokens: the intent is
read from the sentence-level vector alone, and the token-level (sequence) features only cost
time. Rasa's featurizers still build them and DIET still pads, multiplies and back-propagates
them for every token of every message, in training and on every message served. Replacing the
text's token features before DIET by one constant "token" (DIET insists on some token-level
features) leaves the classifier's input for the intent unchanged and removes that work.
Entities come from the gazetteer (SpacyEntityExtractor), not DIET, so no component needs the
token features.

With transformer layers or DIET's entity recognition, the token features matter: take this
component out of the pipeline then (`python -m safeshare train` refuses the combination).

`SentenceCountVectorsFeaturizer` is Rasa's `CountVectorsFeaturizer` that does not build the
text's token features at all, since this component would throw them away: Rasa transforms each
token of a message as a document of its own for them, and the whole message once more for the
sentence features, which are all DIET reads here. Same vocabulary, same sentence features, same
features for every other attribute (the intents' label features among them);
tests/nlu/test_sentence_counts.py compares it with Rasa's on the trained model. It is only allowed
before `SentenceFeaturesOnly`. It also counts a message's n-grams itself, with the vectorizer's
own analyzer and vocabulary, instead of through `CountVectorizer.transform`, whose checks, CSR
matrix and sorting for one message cost more than the counting (the same matrix comes out).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import (
    ACTION_NAME,
    FEATURE_TYPE_SEQUENCE,
    INTENT,
    INTENT_RESPONSE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

ORIGIN = "sentence_only"
# One token with one constant feature: a sequence of length 1 for DIET's sequence layer, which
# the intent (read at the sentence position, with nothing mixing the positions) never sees.
PLACEHOLDER = scipy.sparse.coo_matrix(np.ones((1, 1), dtype=np.float32))
# `CountVectorsFeaturizer._process_tokens`'s pattern, compiled once.
_NUMBER = re.compile(r"\b[0-9]+\b")


def is_token_feature(feature: Features) -> bool:
    return feature.type == FEATURE_TYPE_SEQUENCE and feature.attribute == TEXT


def drop_sequence_features(message: Message) -> None:
    """Replace the text's token-level features of one message by the placeholder (in place)."""
    features = message.features
    if not any(f.attribute == TEXT for f in features):
        return  # not featurized (no text)
    kept = [f for f in features if not is_token_feature(f)]
    kept.append(Features(PLACEHOLDER, FEATURE_TYPE_SEQUENCE, TEXT, ORIGIN))
    message.features = kept


def check_config(pipeline: list[dict[str, Any]]) -> None:
    """Refuse a pipeline where a component after this one needs token features for text, or where
    the count-vector featurizer that makes none comes without this one after it."""
    names = [str(step.get("name", "")) for step in pipeline]
    here = next((i for i, n in enumerate(names) if n.endswith("SentenceFeaturesOnly")), None)
    sentence_only_counts = [i for i, n in enumerate(names) if n.endswith(".SentenceCountVectorsFeaturizer")]
    if sentence_only_counts and (here is None or max(sentence_only_counts) > here):
        raise ValueError(
            "SentenceCountVectorsFeaturizer makes no token features: SentenceFeaturesOnly must follow it"
        )
    if here is None:
        return
    for step in pipeline[here + 1 :]:
        name = str(step.get("name", ""))
        if name == "DIETClassifier" or name.endswith(".SentenceDIETClassifier"):
            if int(step.get("number_of_transformer_layers", 2)) > 0:
                raise ValueError("SentenceFeaturesOnly drops token features that DIET's transformer reads")
            if step.get("entity_recognition", True):
                raise ValueError(
                    "SentenceFeaturesOnly drops token features that DIET's entity recognition reads"
                )
        elif name in {"CRFEntityExtractor", "TEDPolicy", "ResponseSelector"}:
            raise ValueError(f"SentenceFeaturesOnly drops token features that {name} reads")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceFeaturesOnly(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceFeaturesOnly:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            drop_sequence_features(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            drop_sequence_features(message)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """Rasa's count-vector featurizer without the text's token features (module docstring)."""

    def _create_features(
        self, attribute: str, all_tokens: list[list[str]]
    ) -> tuple[list[scipy.sparse.spmatrix | None], list[scipy.sparse.spmatrix | None]]:
        if attribute != TEXT or not self.vectorizers.get(attribute):
            return super()._create_features(attribute, all_tokens)
        sentences: list[scipy.sparse.spmatrix | None] = []
        for tokens in all_tokens:
            if not tokens:
                sentences.append(None)
                continue
            # as Rasa's: the tokens joined into one document
            sentences.append(self._counts(attribute, " ".join(tokens)))
        return [None] * len(all_tokens), sentences

    def _counts(self, attribute: str, document: str) -> scipy.sparse.coo_matrix:
        """`vectorizer.transform([document])`, indices sorted, as COO (what Rasa's gives)."""
        vectorizer = self.vectorizers[attribute]
        vocabulary = getattr(vectorizer, "vocabulary_", None)
        if not vocabulary:  # not fitted: sklearn's own error
            vector = vectorizer.transform([document])
            vector.sort_indices()
            return vector.tocoo()
        analyzers: dict[int, tuple[Any, Any]] = self.__dict__.setdefault("_safeshare_analyzers", {})
        known = analyzers.get(id(vectorizer))
        if known is None or known[0] is not vectorizer:
            known = analyzers[id(vectorizer)] = (vectorizer, vectorizer.build_analyzer())
        counts: dict[int, int] = {}
        for feature in known[1](document):
            index = vocabulary.get(feature)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        columns = sorted(counts)
        data = np.array([1 if vectorizer.binary else counts[c] for c in columns], dtype=vectorizer.dtype)
        return scipy.sparse.coo_matrix(
            (data, (np.zeros(len(columns), dtype=np.int32), np.array(columns, dtype=np.int32))),
            shape=(1, len(vocabulary)),
        )

    def _process_tokens(self, tokens: list[str], attribute: str = TEXT) -> list[str]:
        """Rasa's, with its number pattern compiled once."""
        if attribute in (INTENT, ACTION_NAME, INTENT_RESPONSE_KEY):
            return tokens
        tokens = [_NUMBER.sub("__NUMBER__", text) for text in tokens]
        if self.lowercase:
            tokens = [text.lower() for text in tokens]
        return tokens
