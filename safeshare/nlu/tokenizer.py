"""A Rasa tokenizer for English, Hong Kong Chinese and the two mixed in one message.

Chinese runs are segmented by jieba with a Hong Kong / Cantonese user dictionary (jieba's own
dictionary is mostly Simplified Chinese and splits 嘅, 咗, 喺, 點樣 into single characters).
Latin-script words keep the lemma the spaCy pipeline gave them, when `SpacyNLP` runs first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from safeshare.text import HAN, HAN_RUN

USER_DICTIONARY = Path(__file__).with_name("hk_userdict.txt")
_CJK_RUN = HAN_RUN
_WORD = re.compile(
    f"[{HAN}]+"
    r"|[A-Za-z0-9\u00c0-\u024f]+(?:['’.\-][A-Za-z0-9\u00c0-\u024f]+)*"
    r"|[\U0001f300-\U0001faff\u2600-\u27bf]"
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MixedScriptTokenizer(Tokenizer):
    """jieba for CJK runs, word characters (with spaCy lemmas) for everything else."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "user_dictionary": str(USER_DICTIONARY),
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["jieba"]

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._jieba: Any = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MixedScriptTokenizer:
        return cls(config)

    def _segmenter(self) -> Any:
        if self._jieba is None:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            segmenter = jieba.Tokenizer()
            dictionary = self._config.get("user_dictionary")
            if dictionary and Path(dictionary).exists():
                segmenter.load_userdict(str(dictionary))
            self._jieba = segmenter
        return self._jieba

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        lemmas: dict[tuple[int, int], str] = {}
        doc = message.get(SPACY_DOCS.get(attribute, ""))
        if doc is not None:
            lemmas = {(t.idx, t.idx + len(t.text)): t.lemma_ for t in doc if t.lemma_}
        tokens: list[Token] = []
        for match in _WORD.finditer(text):
            start, word = match.start(), match.group(0)
            if _CJK_RUN.fullmatch(word):
                for piece, begin, _end in self._segmenter().tokenize(word):
                    if piece.strip():
                        tokens.append(Token(piece, start + begin))
            else:
                lemma = lemmas.get((start, start + len(word)), word).lower()
                tokens.append(Token(word, start, lemma=lemma))
        return self._apply_token_pattern(tokens)
