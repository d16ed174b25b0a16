"""The spaCy pipeline builder and SafeShare's tokenizer, on real spaCy and jieba."""

import pytest
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from safeshare.nlu.spacy_builder import DEFAULT_GAZETTEER, build, fingerprint, load_patterns
from safeshare.nlu.tokenizer import MixedScriptTokenizer


@pytest.fixture(scope="module")
def nlp(tmp_path_factory):
    out = tmp_path_factory.mktemp("spacy")
    build(DEFAULT_GAZETTEER, out)
    import spacy

    return spacy.load(out)  # what SpacyNLP loads: the pipeline survives to_disk/load


def test_patterns_come_from_the_gazetteer():
    patterns = load_patterns(DEFAULT_GAZETTEER)
    by_text = {p["pattern"]: (p["label"], p["id"]) for p in patterns}
    assert by_text["臉書"] == ("platform", "facebook")
    assert by_text["ig"] == ("platform", "instagram")
    assert by_text["抖音"] == ("platform", "douyin")  # Douyin is not TikTok
    assert by_text["我個女"] == ("affected", "child")
    assert by_text["裸照"] == ("content_kind", "sexual")
    assert by_text["colleague"] == ("affected", "other")
    assert by_text["none of these"] == ("content_kind", "other")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How do I make my Instagram private on FB", {("Instagram", "platform"), ("FB", "platform")}),
        ("點樣將個IG set做private？", {("IG", "platform")}),
        ("喺IG", {("IG", "platform")}),
        ("我想set臉書private", {("臉書", "platform")}),
        ("有人將我個女嘅相改成裸照", {("我個女", "affected"), ("裸照", "content_kind")}),
        ("抖音點設私人", {("抖音", "platform")}),
        ("they're blackmailing my son", {("blackmailing", "content_kind"), ("my son", "affected")}),
    ],
)
def test_entity_ruler(nlp, text, expected):
    assert {(e.text, e.label_) for e in nlp(text).ents} == expected


def test_lookup_lemmatizer(nlp):
    assert [t.lemma_ for t in nlp("my daughters photos were posted")] == [
        "my",
        "daughter",
        "photo",
        "be",
        "post",
    ]


def test_fingerprint_changes_with_the_gazetteer(tmp_path):
    copy = tmp_path / "g.yml"
    copy.write_text(DEFAULT_GAZETTEER.read_text())
    before = fingerprint(copy)
    copy.write_text(copy.read_text() + "\n")
    assert fingerprint(copy) != before


def _tokens(text, nlp=None):
    message = Message(data={TEXT: text})
    if nlp is not None:
        message.set(SPACY_DOCS[TEXT], nlp(text))
    tokenizer = MixedScriptTokenizer(MixedScriptTokenizer.get_default_config())
    return tokenizer.tokenize(message, TEXT)


def test_cantonese_words_are_kept_whole():
    words = [t.text for t in _tokens("點樣將個IG set做private？我哋係咪可以投訴")]
    assert "點樣" in words and "我哋" in words and "係咪" in words and "投訴" in words
    assert "IG" in words and "private" in words


def test_offsets_point_into_the_text():
    text = "deepfake係咩嚟？ my kid's photo"
    for token in _tokens(text):
        assert text[token.start : token.end] == token.text


def test_english_tokens_carry_spacy_lemmas(nlp):
    lemmas = {t.text: t.lemma for t in _tokens("photos were posted", nlp)}
    assert lemmas == {"photos": "photo", "were": "be", "posted": "post"}


def test_emoji_and_empty():
    assert [t.text for t in _tokens("👍")] == ["👍"]
    assert _tokens("") == [] or all(t.text for t in _tokens(""))


def test_length_guard_shortens_only_what_the_nlu_reads():
    from safeshare.nlu.guard import LengthGuard

    long_text = "點樣將個IG set做private？" + "字" * 100_000
    message = Message(data={TEXT: long_text})
    LengthGuard({"max_chars": 1500}).process([message])
    assert message.get(TEXT) == long_text[:1500]
    short = Message(data={TEXT: "what is a deepfake?"})
    LengthGuard({"max_chars": 1500}).process([short])
    assert short.get(TEXT) == "what is a deepfake?"
