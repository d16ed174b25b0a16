"""Make any text safe for the rest of the NLU pipeline: read at most the first part of a very long
message, and replace lone UTF-16 surrogates.

A 100 kB paste would otherwise take the tokenizers and featurizers many seconds (every CJK
character is a spaCy token); the opening of a message says what it is about. A lone surrogate
(JSON "\ud800", which Sanic's and Python's JSON parsers accept) cannot be encoded as UTF-8, and
spaCy fails on it: the message would be dropped without a reply. It becomes U+FFFD here.
The message is still stored as sent (redacted); only what the NLU reads changes. Runs first.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

SURROGATE = re.compile("[\ud800-\udfff]")


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
            if not isinstance(text, str):
                continue
            safe = SURROGATE.sub("\ufffd", text[: self._max])
            if safe != text:
                message.set(TEXT, safe)
        return messages
