"""Content checks over every answer (data/responses/*.yml) and the school plan templates.

Safety first: whatever a parent, teacher or teen is told to keep as evidence, it must never be a
sexual image. Under the Prevention of Child Pornography Ordinance (Cap. 579) a computer-made or
altered sexual image of someone under 16 is child pornography, and possessing or copying it is an
offence; a screenshot is a copy. So any text that talks about evidence next to sexual content must
say "don't save, screenshot or forward" before it mentions screenshots at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from safeshare.responses import all_responses
from safeshare.settings import PROJECT_ROOT

PLANS = sorted((PROJECT_ROOT / "safeshare" / "web" / "templates" / "plan").glob("plan.*.md"))

EVIDENCE = re.compile(r"evidence|screenshot|證據|截圖", re.IGNORECASE)
# Deepfake incidents are so often sexual that evidence advice about them carries the warning too.
SEXUAL = re.compile(r"sexual|nude|intimate|porn|deepfake|色情|裸|私密影像|性影像|深偽", re.IGNORECASE)
SCREENSHOT = re.compile(r"screenshot|截圖", re.IGNORECASE)
WARNING = {
    "en": re.compile(r"(don't|do not|never) save, screenshot(,)? or forward", re.IGNORECASE),
    "zh": re.compile(r"不要儲存、截圖或轉發"),
}


def language_of(variation: dict) -> str:
    conditions = variation.get("condition") or []
    return "zh" if any(c.get("value") == "zh" for c in conditions) else "en"


def texts() -> Iterator[tuple[str, str, str]]:
    """(where, language, text) for every response variation and every plan template."""
    for name, variations in sorted(all_responses().items()):
        for variation in variations:
            yield name, language_of(variation), str(variation.get("text") or "")
    for path in PLANS:
        yield path.name, path.name.split(".")[1], path.read_text(encoding="utf-8")


def evidence_problems(language: str, text: str) -> list[str]:
    """Why a text that mentions evidence next to sexual content is unsafe (empty if it is safe)."""
    if not (EVIDENCE.search(text) and SEXUAL.search(text)):
        return []
    warning = WARNING[language].search(text)
    if not warning:
        return ["mentions evidence next to sexual content without the don't-save warning"]
    first_screenshot = SCREENSHOT.search(text)
    if first_screenshot and first_screenshot.start() < warning.start():
        return ["mentions screenshots before the don't-save warning"]
    return []


def takeitdown_problems(language: str, text: str) -> list[str]:
    """Take It Down hashes a file already on the young person's device: never save one for it."""
    if not re.search(r"Take It Down(?! Act)", text):
        return []  # the US "Take It Down Act" (X's reporting route) is another thing
    problems = []
    already = "already on" if language == "en" else "已在"
    if already not in text:
        problems.append("Take It Down without 'a file already on the device'")
    if re.search(r"\b(save|download)\b[^.\n]*\bfor (it|Take It Down)\b", text, re.IGNORECASE):
        problems.append("Take It Down with an instruction to save an image for it")
    hedge = ("couldn't confirm", "could not confirm") if language == "en" else ("未能確認",)
    if not any(h in text for h in hedge):
        problems.append("Take It Down promised for AI-made images (unverified): no hedge")
    return problems


ALL = list(texts())
IDS = [f"{where}-{language}" for where, language, _ in ALL]


@pytest.mark.parametrize(("where", "language", "text"), ALL, ids=IDS)
def test_evidence_advice_never_keeps_a_sexual_image(where: str, language: str, text: str) -> None:
    assert evidence_problems(language, text) == [], where


@pytest.mark.parametrize(("where", "language", "text"), ALL, ids=IDS)
def test_take_it_down_is_for_a_file_already_on_the_device(where: str, language: str, text: str) -> None:
    assert takeitdown_problems(language, text) == [], where


def test_the_checks_catch_the_old_unsafe_wording() -> None:
    """The texts these checks were written against (before Dec 2026) fail them."""
    old_law = (
        "• Sexual images of anyone under 16 fall under the Prevention of Child Pornography Ordinance.\n"
        "Keep evidence and report it to the police."
    )
    old_report = (
        "Keep evidence before anything is deleted:\n• screenshots of the post, the account and any "
        "messages\nIf it is a sexual image of a child, record the post, account and link, but don't "
        "download or forward the image itself; leave that to the police."
    )
    old_takeitdown = (
        "If the nude or sexual image shows someone under 18, Take It Down can help stop it spreading:"
        "\n• it runs on the device that has the image"
    )
    assert evidence_problems("en", old_law)
    assert evidence_problems("en", old_report)
    assert evidence_problems("zh", "保存證據：截圖。如屬涉及兒童的色情影像，不要下載或轉發影像本身。")
    assert evidence_problems("en", "A school's deepfake response plan: keep evidence; report it.")
    assert takeitdown_problems("en", old_takeitdown)
    fixed = (
        "If it's a sexual or nude image, don't save, screenshot or forward it, even as evidence. "
        "Screenshots of a threatening message are fine."
    )
    assert evidence_problems("en", fixed) == []


def test_pcpd_address_is_the_pcpd_own_and_in_chinese_for_chinese() -> None:
    """The PCPD's complaint page gives Room 1303, 13/F (12/F came from Wikipedia)."""
    for where, _, text in texts():
        assert "12/F" not in text and "12樓" not in text, where
    contact = {language_of(v): v["text"] for v in all_responses()["utter_pcpd_contact"]}
    assert "Room 1303, 13/F" in contact["en"]
    assert "13樓1303室" in contact["zh"] and "皇后大道東248號" in contact["zh"]
    assert "/tc_chi/" in contact["zh"] and "/english/" in contact["en"]
