"""Concept features: one pattern per idea, shared by English, Chinese and the crisis lexicon."""

import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import GraphSchema

from safeshare import crisis
from safeshare.nlu.concepts import patterns


def concepts_in(text: str) -> set[str]:
    return {p["name"].removeprefix("concept_") for p in patterns() if re.search(p["pattern"], text, re.I)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("someone posted my daughters nudes on IG", {"sexual", "child", "posting", "platform"}),
        ("喺IG post咗我個仔啲相", {"child", "photo", "posting", "platform"}),
        ("健身室更衣室有部CCTV", {"camera"}),
        ("公司外洩咗我啲資料", {"leak"}),
        ("The gym wants a copy of my HKID", {"id_card"}),
        ("推銷電話日日打嚟", {"marketing"}),
    ],
)
def test_concepts_found(text, expected):
    assert expected <= concepts_in(text)


def test_english_words_are_whole_words():
    assert "deepfake" not in concepts_in("I said it again")
    assert "platform" not in concepts_in("the big picture")


def test_crisis_categories_are_the_lexicons_own():
    for category in crisis.CATEGORIES:
        for text in ("有人用AI整咗我啲裸照，話唔俾錢就send出去", "my son 12yo says he wants to die"):
            assert (category in crisis.signals(text)) == (category in concepts_in(text.lower()))


def _tokenized(text: str):
    """Latin words and digits as one token each, every other character (Chinese) a token of its
    own: enough for tokens that a pattern's match may cover, cut into or miss."""
    from rasa.nlu.tokenizers.tokenizer import Token
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    tokens = [Token(m.group(), m.start()) for m in re.finditer(r"[A-Za-z0-9']+|[^\sA-Za-z0-9']", text)]
    return Message(data={TEXT: text, "text_tokens": tokens})


def _featurizer():
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from safeshare.nlu.concepts import ConceptFeaturizer

    return ConceptFeaturizer(
        ConceptFeaturizer.get_default_config(),
        LocalModelStorage(Path(tempfile.mkdtemp())),
        Resource("concepts"),
        ExecutionContext(GraphSchema({}), node_name="concepts"),
        known_patterns=patterns(),
    )


@pytest.mark.parametrize(
    "text",
    [
        "someone made a deepfake nude of my daughter and posts it on IG unless we pay",
        "班同學將我13歲個仔塊面改落一條咸片度，而家喺班WhatsApp group度傳緊",
        "he said AI edited photos of me are going round school, i want them taken down ASAP",
        "學校可唔可以喺更衣室裝CCTV？個校長話係為咗安全",
        "my HKID copy was leaked by the gym and now i get marketing calls",
        "nothing to see here",
        "😀",
    ],
)
def test_the_faster_matching_gives_rasas_features_and_marks(text):
    from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
    from rasa.shared.nlu.constants import TEXT

    featurizer = _featurizer()
    ours, theirs = _tokenized(text), _tokenized(text)
    got = featurizer._features_for_patterns(ours, TEXT)
    expected = RegexFeaturizer._features_for_patterns(featurizer, theirs, TEXT)
    for mine, reference in zip(got, expected, strict=True):
        assert (mine is None) == (reference is None)
        if mine is not None:
            np.testing.assert_array_equal(mine.toarray(), reference.toarray())
    assert [t.get("pattern") for t in ours.get("text_tokens")] == [
        t.get("pattern") for t in theirs.get("text_tokens")
    ]
    if any(c.isalpha() for c in text) and "nothing" not in text:
        assert got[1].toarray().sum() > 0  # something matched: the comparison is not vacuous
