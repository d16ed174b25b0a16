"""Read at most the first part of a very long message.

A 100 kB paste would otherwise take the tokenizers and featurizers many seconds (every CJK
character is a spaCy token); the opening of a message says what it is about. The message is still
stored as sent (redacted); only what the NLU reads is shortened. Runs first in the pipeline.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class LengthGuard(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"max_chars": 1500}

    def __init__(self, config: dict[str, Any]) -> None:
        self._max = int(config["max_chars"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LengthGuard:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and len(text) > self._max:
                message.set(TEXT, text[: self._max])
        return messages
