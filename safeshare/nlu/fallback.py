"""Rasa's fallback classifier with one confidence threshold per language.

The classifier's confidence means something different in the two languages: Chinese messages are
featurised mostly by character n-grams, which spread the scores over more intents, so a correct
Chinese answer often comes with a lower confidence than an English one. One threshold for both
either turns away real Chinese questions or lets English near misses through. Measured on the
development set (tests/nlu_dev/, `bench/accuracy.py`; the thresholds were chosen there and checked
on tests/nlu_test/, written afterwards):

    threshold      English: accuracy / out-of-scope recall / false rejections    Chinese: same
    0.25                    89.9% / 81.8% / 0.9%                                  89.4% / 89.5% / 2.4%
    0.30                    89.7% / 83.6% / 1.8%                                  88.0% / 91.2% / 4.7%
    0.35                    89.1% / 87.3% / 2.9%                                  86.8% / 91.2% / 6.4%

A message is Chinese when it has Chinese characters (`safeshare.language.detect`), as for the
reply language.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.fallback_classifier import THRESHOLD_KEY, FallbackClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from safeshare.language import detect


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LanguageFallbackClassifier(FallbackClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**FallbackClassifier.get_default_config(), "thresholds": {}}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageFallbackClassifier:
        return cls(config)

    def threshold(self, text: str) -> float:
        thresholds = self.component_config.get("thresholds") or {}
        return float(thresholds.get(detect(text or "") or "", self.component_config[THRESHOLD_KEY]))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            own = {**self.component_config, THRESHOLD_KEY: self.threshold(message.get(TEXT) or "")}
            FallbackClassifier(own).process([message])
        return messages
