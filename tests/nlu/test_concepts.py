"""Concept features: one pattern per idea, shared by English, Chinese and the crisis lexicon."""

import re

import pytest

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
