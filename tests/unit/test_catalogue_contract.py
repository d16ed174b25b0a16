"""The topic catalogue is the contract: every topic has an intent, training data in both
languages, held-out test cases, and a bilingual answer that ends with an official link."""

import re

import pytest
import yaml

from safeshare.catalogue import CONVERSATION, topics
from safeshare.evaluation import load_examples
from safeshare.responses import all_responses
from safeshare.settings import PROJECT_ROOT

FLOWS = {"report_deepfake", "privacy_settings", "school_response_plan", "human_handoff", "forget_my_data"}
MIRRORS = (
    "pubt.io",
    "365trust",
    "liu233w",
    "web.archive.org",
    "cozy.pub",
    "paperzz",
    "fill.io",
    "dokumen.tips",
    "biocaremalta",
    "kanhan.com",
    "megalodon.jp",
    "wikipedia.org",
)
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())


def _training(language: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted((PROJECT_ROOT / "data" / "nlu" / language).glob("*.yml")):
        for text, intent in load_examples(path):
            out.setdefault(intent, []).append(text)
    return out


EN, ZH = _training("en"), _training("zh")
HOLDOUT_EN = load_examples(PROJECT_ROOT / "tests" / "nlu_holdout" / "en.yml")
HOLDOUT_ZH = load_examples(PROJECT_ROOT / "tests" / "nlu_holdout" / "zh.yml")
BLIND = [
    example
    for language in ("en", "zh")
    for example in load_examples(PROJECT_ROOT / "tests" / "nlu_holdout_blind" / f"{language}.yml")
]


def test_catalogue_copy_matches_the_shared_contract():
    shared = PROJECT_ROOT.parent / "shared" / "spec" / "topics.yml"
    if not shared.exists():
        pytest.skip("../shared is not beside this checkout")
    ours = yaml.safe_load((PROJECT_ROOT / "catalogue" / "topics.yml").read_text())
    theirs = yaml.safe_load(shared.read_text())
    assert [t["id"] for t in ours["topics"]] == [t["id"] for t in theirs["topics"]]


@pytest.mark.parametrize("topic", list(topics()))
def test_topic_is_an_intent_with_data_and_held_out_cases(topic):
    assert topic in DOMAIN["intents"]
    minimum_en, minimum_zh = (25, 20) if topic not in CONVERSATION else (12, 10)
    assert len(EN.get(topic, [])) >= minimum_en
    assert len(ZH.get(topic, [])) >= minimum_zh
    held_en = [t for t, i in HOLDOUT_EN if i == topic]
    held_zh = [t for t, i in HOLDOUT_ZH if i == topic]
    assert len(held_en) >= (8 if topic not in CONVERSATION else 5)
    assert len(held_zh) >= 5


def _evaluation_texts() -> list[str]:
    """Every message of the sets written to measure the model: styled sets and crisis sets."""
    texts = []
    for folder in sorted((PROJECT_ROOT / "tests").glob("nlu_*")):
        for path in sorted(folder.glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for key in ("examples", "crisis", "not_crisis"):
                texts += [str(item["text"]) for item in data.get(key) or []]
    return texts


def _short(text: str) -> bool:
    """A few words ("report deepfake", 「舉報深偽」): different writers type these alike."""
    return len(text) <= 48


def test_held_out_sets_are_never_trained_on():
    trained = {t.strip().lower() for examples in (EN, ZH) for items in examples.values() for t in items}
    leaked = [t for t, _ in HOLDOUT_EN + HOLDOUT_ZH + BLIND if t.strip().lower() in trained]
    assert leaked == []


def test_styled_and_crisis_sets_are_never_trained_on():
    # Written apart from the training data; only a short request may coincide with a training
    # example word for word, as two people type "parental control tips" alike.
    trained = {t.strip().lower() for examples in (EN, ZH) for items in examples.values() for t in items}
    measured = _evaluation_texts()
    assert len(measured) > 4000  # the sets were found
    leaked = [t for t in measured if t.strip().lower() in trained and not _short(t.strip())]
    assert leaked == []


def test_blind_set_covers_every_topic():
    labels = {intent for _, intent in BLIND}
    assert set(topics()) <= labels
    assert "out_of_scope" in labels


def _variants(name: str) -> tuple[dict, dict]:
    variations = all_responses()[name]
    zh = [v for v in variations if any(c.get("value") == "zh" for c in v.get("condition") or [])]
    en = [v for v in variations if not v.get("condition")]
    assert len(zh) == 1 and len(en) == 1, name
    return en[0], zh[0]


@pytest.mark.parametrize("topic", [t for t in topics() if t not in CONVERSATION])
def test_every_topic_answer_is_bilingual_and_ends_with_an_official_link(topic):
    en, zh = _variants(f"utter_{topic}")
    for variant in (en, zh):
        text = variant["text"]
        urls = re.findall(r"https?://\S+", text)
        assert urls, topic
        assert not any(m in u for u in urls for m in MIRRORS)
        assert all(u.startswith("https://") for u in urls)
    assert re.search(r"[\u4e00-\u9fff]", zh["text"])
    words = len(re.sub(r"https?://\S+", "", en["text"]).split())
    assert words <= 140, f"{topic}: {words} words"


def test_every_response_is_bilingual_and_links_are_official():
    for name, variations in all_responses().items():
        _variants(name)
        for variant in variations:
            for url in re.findall(r"https?://[^\s)）」]+", variant.get("text", "")):
                assert not any(m in url for m in MIRRORS), (name, url)


def test_danger_answers_say_999_first():
    for name in (
        "utter_deepfake_scam",
        "utter_deepfake_intimate_images_law",
        "utter_report_deepfake",
    ):
        en, zh = _variants(name)
        assert "999" in en["text"].splitlines()[0], name
        assert "999" in zh["text"].splitlines()[0], name
    # the report checklist is numbered: its first step is the 999 line
    for kind in ("sexual", "threat", "money", "other"):
        for variant in _variants(f"utter_report_now_{kind}"):
            assert "999" in variant["text"].splitlines()[1], kind


def test_every_action_response_exists():
    names = set(all_responses())
    source = "\n".join(p.read_text() for p in (PROJECT_ROOT / "actions").glob("*.py"))
    for name in set(re.findall(r'response="(utter_[a-z_]+)"', source)):
        assert name in names, name
    for platform in (
        "facebook",
        "instagram",
        "threads",
        "whatsapp",
        "tiktok",
        "youtube",
        "snapchat",
        "x",
        "douyin",
        "other",
    ):
        assert f"utter_privacy_{platform}" in names
    for platform in (
        "facebook",
        "instagram",
        "threads",
        "whatsapp",
        "tiktok",
        "youtube",
        "snapchat",
        "x",
        "other",
    ):
        assert f"utter_report_platform_{platform}" in names


def test_generated_rules_are_up_to_date():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "scripts/generate_rules.py", "--check"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
