"""A message that is one of the training examples, word for word, gets that example's intent.

DIET learns its training data well but not by heart: a short phrase can lose to a class with many
examples that share its words. After the second round of near misses (many of them "can you tell
me ..."), "tell me more", itself a training example of `more`, came out as out of scope at 0.42.
A person who types exactly what the assistant was taught should get what it was taught.

Training keeps every example whose normalised text (`normalise`: Unicode NFKC, lower case,
punctuation, symbols and spacing dropped) belongs to one intent only; an example written under two
intents is left to DIET. At run time a message whose normalised text is one of them gets that
intent with `confidence` (DIET's ranking follows, without it). It runs after DIET and before the
crisis guard and the fallback: a crisis still gets the safety answer, and nothing here can turn a
message away (out of scope examples are matched too, as taught).
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

FILE = "exact_examples.json"


def normalise(text: str) -> str:
    """The text as compared: NFKC, lower case, without punctuation or symbols, single spaces."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    kept = "".join(" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in folded)
    return " ".join(kept.split())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ExactMatchClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"confidence": 1.0}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        examples: dict[str, str] | None = None,
    ) -> None:
        self._confidence = float(config["confidence"])
        self._model_storage = model_storage
        self._resource = resource
        self.examples: dict[str, str] = examples or {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ExactMatchClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        seen: dict[str, set[str]] = {}
        for example in training_data.intent_examples:
            key = normalise(example.get(TEXT) or "")
            if key:
                seen.setdefault(key, set()).add(example.get(INTENT))
        self.examples = {key: next(iter(intents)) for key, intents in seen.items() if len(intents) == 1}
        with self._model_storage.write_to(self._resource) as directory:
            (directory / FILE).write_text(json.dumps(self.examples, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ExactMatchClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                examples = json.loads((directory / FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            examples = {}
        return cls(config, model_storage, resource, examples)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue
            intent = self.examples.get(normalise(text))
            if intent is None:
                continue
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
            chosen = {"name": intent, "confidence": self._confidence}
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
        return messages
