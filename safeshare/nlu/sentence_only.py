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
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

ORIGIN = "sentence_only"
# One token with one constant feature: a sequence of length 1 for DIET's sequence layer, which
# the intent (read at the sentence position, with nothing mixing the positions) never sees.
PLACEHOLDER = scipy.sparse.coo_matrix(np.ones((1, 1), dtype=np.float32))


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
    """Refuse a pipeline where a component after this one needs token features for text."""
    names = [str(step.get("name", "")) for step in pipeline]
    here = next((i for i, n in enumerate(names) if n.endswith("SentenceFeaturesOnly")), None)
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
