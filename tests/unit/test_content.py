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


# --- The content check (CI): script, links, length, dates, numbers -----------------------------

from urllib.parse import urlparse  # noqa: E402

from actions.flows import PLATFORMS, report_steps  # noqa: E402
from safeshare.catalogue import answer_topics  # noqa: E402

URL = re.compile(r"https?://[^\s)）」，。；]+")
SIMPLIFIED = set(
    (PROJECT_ROOT / "tests" / "unit" / "simplified_chars.txt").read_text(encoding="utf-8").splitlines()[-1]
)
# Official sources only: the authorities, the law, the support services and the platforms' own
# help centres. A mirror, archive or news page is evidence for facts.md, never a link for users.
ALLOWED_DOMAINS = (
    "pcpd.org.hk",
    "clic.org.hk",
    "hkclic.org",
    "info.gov.hk",
    "police.gov.hk",
    "adcc.gov.hk",
    "elegislation.gov.hk",
    "swd.gov.hk",
    "ofca.gov.hk",
    "esafety.gov.au",
    "takeitdown.ncmec.org",
    "stopncii.org",
    "rainlily.org.hk",
    "facebook.com",
    "help.instagram.com",
    "familycenter.meta.com",
    "support.tiktok.com",
    "faq.whatsapp.com",
    "support.google.com",
    "values.snap.com",
    "parents.snapchat.com",
    "help.x.com",
)
# A bare home page only where facts.md lists no deeper official page for what the text says.
HOME_PAGE_OK = {
    "utter_deepfake_explained": "the 17 Dec 2025 toolkit: facts.md cites only a mirror of the release",
    "utter_deepfake_explained_more": "the same toolkit",
    "utter_school_response_plan": "the same toolkit",
    "utter_school_plan_ready": "the same toolkit",
    "utter_ai_tools_privacy": "the PCPD's Jan 2026 AI tips: only a news report in facts.md",
    "utter_social_media_age_ban": "no eSafety page on the minimum age in facts.md",
    "utter_social_media_age_ban_more": "no eSafety page on the minimum age in facts.md",
    "utter_report_platform_threads": "no official Threads reporting steps found",
    "utter_privacy_threads": "no official Threads steps found",
    "utter_report_platform_whatsapp": "no official WhatsApp reporting steps found",
    "utter_privacy_x": "no official X steps for protecting posts found",
    "utter_report_support": "no deeper SWD page in facts.md",
    "utter_disclaimer": "points to the official sites in general",
    # the services themselves start on their home pages
    "utter_report_removal_young": "Take It Down is used from its home page",
    "utter_report_removal_self": "Take It Down is used from its home page",
    "utter_report_removal_adult": "StopNCII is used from its home page",
}
# English-only pages linked from Chinese text: no Chinese version is confirmed (docs/sources.md).
ENGLISH_ONLY = (
    "pcpd.org.hk/english/resources_centre/publications/leaflet/flipbook/DAR_faq_Eng/",
    "pcpd.org.hk/misc/booklets/e-lawbook/",
    "pcpd.org.hk/besmartonline/en/",
    "info.gov.hk/gia/general/202507/24/P2025072400477.htm",
    "support.tiktok.com/en/",
    "help.x.com/en/",
)
FIRST_MESSAGE_LIMIT = {"en": 400, "zh": 200}  # characters of text, links not counted
TURN_LIMIT = 800  # characters of one report turn, links included


def variations(name: str) -> dict[str, str]:
    return {language_of(v): str(v.get("text") or "") for v in all_responses()[name]}


def answer_names() -> list[str]:
    """The first messages of every answer: catalogue topics and each platform's privacy steps."""
    return [f"utter_{t}" for t in answer_topics()] + [f"utter_privacy_{p}" for p in PLATFORMS]


def report_groups() -> set[str]:
    return {
        group
        for affected in ("child", "self", "student", "other", None)
        for kind in ("sexual", "threat", "money", "other", None)
        for platform in (*PLATFORMS, None)
        for group in report_steps(affected, kind, platform)
    }


def is_home_page(url: str) -> bool:
    path = urlparse(url).path.strip("/")
    return path in ("", "english", "tc_chi", "en", "zh", "english/index.html", "tc_chi/index.html")


def test_no_simplified_characters() -> None:
    problems = {
        where: sorted({c for c in text if c in SIMPLIFIED})
        for where, _, text in ALL
        if set(text) & SIMPLIFIED
    }
    assert problems == {}


def test_the_simplified_list_catches_simplified_text() -> None:
    assert set("们这个说为发经过网络") <= SIMPLIFIED
    assert not set("皇后大道東後台裏乾面係準範群私隱專員公署") & SIMPLIFIED


def test_every_link_is_official() -> None:
    bad = [
        (where, url)
        for where, _, text in ALL
        for url in URL.findall(text)
        if not url.startswith("https://")
        or not any(
            (urlparse(url).hostname or "") == d or (urlparse(url).hostname or "").endswith("." + d)
            for d in ALLOWED_DOMAINS
        )
    ]
    assert bad == []


@pytest.mark.parametrize(
    "name", sorted({*answer_names(), *(f"{n}_more" for n in answer_names())} & set(all_responses()))
)
def test_every_answer_links_an_official_page(name: str) -> None:
    for language, text in variations(name).items():
        assert URL.search(text), (name, language)


def test_no_bare_home_page_where_a_deeper_page_is_listed() -> None:
    bad = [
        (name, url)
        for name, variants in all_responses().items()
        for variant in variants
        for url in URL.findall(str(variant.get("text") or ""))
        if is_home_page(url) and name not in HOME_PAGE_OK
    ]
    assert bad == []


def test_chinese_text_links_the_chinese_page() -> None:
    """pcpd.org.hk has /tc_chi/ pages, CLIC /zh/ pages: Chinese text links them."""
    bad = []
    for name in all_responses():
        text = variations(name).get("zh", "")
        for url in URL.findall(text):
            english = (
                "pcpd.org.hk/english/" in url or "clic.org.hk/en/" in url or "/en/" in urlparse(url).path
            )
            if english and not any(page in url for page in ENGLISH_ONLY):
                bad.append((name, url))
    assert bad == []


@pytest.mark.parametrize("name", answer_names())
def test_first_message_is_chat_sized_and_offers_more(name: str) -> None:
    for variant in all_responses()[name]:
        language = language_of(variant)
        words = URL.sub("", str(variant["text"])).strip()
        assert len(words) <= FIRST_MESSAGE_LIMIT[language], (name, language, len(words))
    if name in ("utter_report_deepfake", "utter_privacy_settings"):
        return  # a flow starts: its questions and steps follow
    topic = name.removeprefix("utter_")
    assert f"{name}_more" in all_responses(), name
    for variant in all_responses()[name]:
        buttons = variant.get("buttons") or []
        title = "詳情" if language_of(variant) == "zh" else "More"
        assert {"title": title, "payload": f'/more{{"topic":"{topic}"}}'} in buttons, (
            name,
            language_of(variant),
        )


@pytest.mark.parametrize("name", sorted(report_groups()))
def test_each_report_turn_is_at_most_800_characters(name: str) -> None:
    for language, text in variations(name).items():
        assert len(text) <= TURN_LIMIT, (name, language, len(text))


def test_report_groups_continue_or_offer_staff() -> None:
    for name in report_groups():
        for variant in all_responses()[name]:
            payloads = [b["payload"] for b in variant.get("buttons") or []]
            expected = ["/affirm", "/deny"] if name == "utter_report_support" else ["/more"]
            assert payloads == expected, name


@pytest.mark.parametrize(
    "name",
    [
        "utter_fallback",
        "utter_out_of_scope",
        "utter_default",
        "utter_more_none",
        "utter_report_deepfake",
        *(f"utter_report_now_{kind}" for kind in ("sexual", "threat", "money", "other")),
    ],
)
def test_999_line(name: str) -> None:
    for language, text in variations(name).items():
        assert "999" in text, (name, language)


DATE = re.compile(r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20\d\d|20\d\d年\d{1,2}月")


def test_platform_facts_are_dated_and_the_unsupported_stamp_is_gone() -> None:
    for name, variants in all_responses().items():
        for variant in variants:
            text = str(variant.get("text") or "")
            assert "Mar 2026" not in text and "2026年3月" not in text, name
            if re.search(r"help centre|說明中心", text):
                assert DATE.search(text), name


def numbers(language: str, text: str) -> set[str]:
    """Phone numbers, form numbers, section and chapter numbers and HK$ amounts in a text."""
    text = URL.sub("", text)
    found = set(re.findall(r"(?<![\d,.])(\d{4} \d{4}|999|992|18222|1835000)(?!\d|,\d)", text))
    found |= set(re.findall(r"OPS\d{3}", text))
    section = r"(\d+[A-Z]*(?:\(\d+[A-Z]?\))*)"
    scale = {"": 1, "million": 10**6, "billion": 10**9, "萬": 10**4, "億": 10**8}
    for amount, unit in re.findall(r"HK\$\s?([\d,]+(?:\.\d+)?)\s?(million|billion)?", text):
        found.add(f"${round(float(amount.replace(',', '')) * scale[unit])}")
    if language == "en":
        found |= {"s." + s for s in re.findall(r"\bs{1,2}\.\s?" + section, text)}
        found |= {"s." + s for s in re.findall(r"\bsection " + section, text)}
        found |= {"cap." + c for c in re.findall(r"\bCap\.\s?(\d+)", text)}
    else:
        found |= {"s." + s for s in re.findall("第" + section + "條", text)}
        found |= {"cap." + c for c in re.findall(r"第(\d+)章", text)}
        for amount, unit in re.findall(r"港幣\s?([\d,]+(?:\.\d+)?)\s?(萬|億)?元?", text):
            found.add(f"${round(float(amount.replace(',', '')) * scale[unit])}")
        for amount, unit in re.findall(r"([\d,]+(?:\.\d+)?)\s?(萬|億)?港元", text):
            found.add(f"${round(float(amount.replace(',', '')) * scale[unit])}")
    return found


def test_numbers_are_extracted_in_both_languages() -> None:
    assert numbers("en", "up to HK$1,000,000 and 5 years (s.64(3C)); call 2827 2827 or 999") == {
        "$1000000",
        "s.64(3C)",
        "2827 2827",
        "999",
    }
    assert numbers("zh", "最高罰款港幣1,000,000元（第64(3C)條）；致電 2827 2827 或999") == {
        "$1000000",
        "s.64(3C)",
        "2827 2827",
        "999",
    }
    assert numbers("en", "HK$200 million, Cap. 579") == numbers("zh", "約2億港元，第579章")


@pytest.mark.parametrize("name", sorted(all_responses()))
def test_english_and_chinese_carry_the_same_numbers(name: str) -> None:
    texts = variations(name)
    assert numbers("en", texts["en"]) == numbers("zh", texts["zh"]), name


TOOLKIT_ZH = "《應對濫用人工智能深度偽造技術：給學校及家長的智慧錦囊》"


def test_hong_kong_chinese_usage() -> None:
    """身份 (Hong Kong), not 身分, except quoting the Code's 身分代號; 即屬犯罪 for an offence;
    the PCPD's toolkit by its own title."""
    bad = []
    for where, language, text in ALL:
        if language != "zh":
            continue
        if re.search(r"身分(?!代號)", text):
            bad.append((where, "身分"))
        if "屬違法" in text:
            bad.append((where, "屬違法"))
        if re.search(r"深偽(工具包|應對指引|指引)|家校深偽", text):
            bad.append((where, "toolkit name"))
        if "Toolkit for Schools and Parents" in text and TOOLKIT_ZH not in text:
            bad.append((where, "toolkit in English"))
    assert bad == []
