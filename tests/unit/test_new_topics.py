"""The answers for hkid_collection, direct_marketing and data_breach, and the school plan's section on
HKID copies and breaches: short first message with a deep official link in the reader's language and
a "More" button; details with the contract's figures identical in English and Chinese; Hong Kong
Traditional Chinese only."""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import pytest
import yaml
from jinja2 import Environment, FileSystemLoader

from safeshare.responses import all_responses
from safeshare.settings import PROJECT_ROOT

TOPICS = ("hkid_collection", "direct_marketing", "data_breach")
LANGUAGES = ("en", "zh")
FIRST_MESSAGE_LIMIT = {"en": 400, "zh": 200}
MORE_BUTTON = {"en": "More", "zh": "詳情"}
OFFICIAL = ("pcpd.org.hk", "clic.org.hk", "hkclic.org", "ofca.gov.hk", "police.gov.hk", "info.gov.hk")
CHINESE_PATHS = ("/tc_chi/", "/tc/", "/zh/")
OTHER_LANGUAGE_PATHS = {
    "en": ("/tc_chi/", "/sc_chi/", "/tc/", "/zh/", "/cn/", "/sc/"),
    "zh": ("/english/", "/en/", "/sc_chi/", "/cn/", "/sc/"),
}
# Characters that exist only in Simplified Chinese (each has a different Traditional form).
SIMPLIFIED_ONLY = set(
    "这们个说时会发为对没么关资报护证号码网过还进题问让应从东车门见长间国图书学实样机构务经认识请谢"
    "隐专员诉讯权条骗诈险络电话邮钱银帐户择选传职单处开种无绝续类链动举态规罚监产观觉视亲难虑"
)
# Facts from the contract's must_cover that carry numbers: (English, Chinese), both in `_more`.
NUMBERED_FACTS = {
    "hkid_collection": [("2015C01", "2015C01"), ("Aug 2024", "2024年8月")],
    "direct_marketing": [
        ("1 April 2013", "2013年4月1日"),
        ("HK$500,000", "HK$500,000"),
        ("3 years", "3年"),
        ("HK$1,000,000", "HK$1,000,000"),
        ("5 years", "5年"),
        ("1835000", "1835000"),
        ("10th working day", "第10個工作天"),
    ],
    "data_breach": [
        ("18222", "18222"),
        ("2827 2827", "2827 2827"),
        ("999", "999"),
        ("As of early 2026", "截至2026年初"),
        ("246", "246"),
        ("in 2025", "在2025年"),
        ("37%", "37%"),
    ],
}
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("January", "Jan"),
            ("February", "Feb"),
            ("March", "Mar"),
            ("April", "Apr"),
            ("May",),
            ("June", "Jun"),
            ("July", "Jul"),
            ("August", "Aug"),
            ("September", "Sep", "Sept"),
            ("October", "Oct"),
            ("November", "Nov"),
            ("December", "Dec"),
        ],
        start=1,
    )
    for name in names
}
MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
URL = re.compile(r"https?://[^\s)）」]+")


def variant(name: str, language: str) -> dict:
    variations = all_responses()[name]
    zh = [v for v in variations if any(c.get("value") == "zh" for c in v.get("condition") or [])]
    en = [v for v in variations if not v.get("condition")]
    assert len(zh) == 1 and len(en) == 1, name
    return zh[0] if language == "zh" else en[0]


def numbers(text: str) -> set[str]:
    """The figures a text states, with dates in one form for both languages: "1 April 2013" and
    "2013年4月1日" are both 2013-04-01; "Sep 2023" and "2023年9月" are both 2023-09."""
    text = URL.sub(" ", text)
    found: set[str] = set()

    def keep(value: str) -> str:
        found.add(value)
        return " "

    text = re.sub(
        rf"(?<!\d)(\d{{1,2}}) ({MONTH})\.? (\d{{4}})(?!\d)",
        lambda m: keep(f"{m[3]}-{MONTHS[m[2]]:02d}-{int(m[1]):02d}"),
        text,
    )
    text = re.sub(rf"\b({MONTH})\.? (\d{{4}})(?!\d)", lambda m: keep(f"{m[2]}-{MONTHS[m[1]]:02d}"), text)
    text = re.sub(
        r"(\d{4})年(\d{1,2})月(\d{1,2})日", lambda m: keep(f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"), text
    )
    text = re.sub(r"(\d{4})年(\d{1,2})月", lambda m: keep(f"{m[1]}-{int(m[2]):02d}"), text)
    text = re.sub(r"(?<!\d)(\d{4}) (\d{4})(?!\d)", lambda m: keep(f"{m[1]} {m[2]}"), text)
    found.update(re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", text))
    return found


def is_home_page(url: str) -> bool:
    parts = [
        p
        for p in urlparse(url).path.split("/")
        if p
        and p not in {"en", "english", "tc", "tc_chi", "zh", "sc_chi", "cn"}
        and not p.startswith("index.")
    ]
    return not parts


def check_links(urls: list[str], language: str) -> None:
    assert urls
    for url in urls:
        host = urlparse(url).hostname or ""
        assert url.startswith("https://"), url
        assert any(host == d or host.endswith("." + d) for d in OFFICIAL), url
        assert not is_home_page(url), url
        assert not any(p in url for p in OTHER_LANGUAGE_PATHS[language]), url
        if language == "zh":
            assert any(p in url for p in CHINESE_PATHS), url


def check_hong_kong_chinese(text: str) -> None:
    assert not SIMPLIFIED_ONLY & set(text), sorted(SIMPLIFIED_ONLY & set(text))
    assert "身分" not in text


def payloads(response: dict) -> list[str]:
    return [b["payload"] for b in response.get("buttons") or []]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("topic", TOPICS)
def test_first_message_is_short_with_one_deep_link_and_a_more_button(topic, language):
    first = variant(f"utter_{topic}", language)
    text = first["text"]
    assert len(text) <= FIRST_MESSAGE_LIMIT[language], len(text)
    urls = URL.findall(text)
    assert len(urls) == 1, urls
    check_links(urls, language)
    assert text.rstrip().endswith(urls[0]), "the advice comes first, the link after it"
    more = first["buttons"][0]
    assert more["title"] == MORE_BUTTON[language]
    assert more["payload"] == '/more{"topic":"' + topic + '"}'
    assert json.loads(more["payload"].removeprefix("/more")) == {"topic": topic}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("topic", TOPICS)
def test_details_say_general_information_and_link_official_pages_in_the_readers_language(topic, language):
    text = variant(f"utter_{topic}_more", language)["text"]
    if language == "en":
        assert "General information, not legal advice" in text
        assert "SafeShare is not the PCPD" in text
    else:
        assert "一般資訊，並非法律意見" in text
        assert "SafeShare 不是私隱專員公署" in text
    check_links(URL.findall(text), language)


@pytest.mark.parametrize("topic", TOPICS)
def test_details_carry_the_numbered_facts_in_both_languages(topic):
    en = variant(f"utter_{topic}_more", "en")["text"]
    zh = variant(f"utter_{topic}_more", "zh")["text"]
    for english, chinese in NUMBERED_FACTS[topic]:
        assert english in en, english
        assert chinese in zh, chinese


@pytest.mark.parametrize("name", [f"utter_{t}{s}" for t in TOPICS for s in ("", "_more")])
def test_english_and_chinese_state_the_same_figures(name):
    en = numbers(variant(name, "en")["text"])
    zh = numbers(variant(name, "zh")["text"])
    assert en == zh, (sorted(en - zh), sorted(zh - en))


def test_numbers_reads_dates_alike_in_both_languages():
    assert numbers("Since 1 April 2013, as of Sep 2023, HK$1,000,000 and 2827 2827") == {
        "2013-04-01",
        "2023-09",
        "1,000,000",
        "2827 2827",
    }
    assert numbers("自2013年4月1日起，2023年9月，HK$1,000,000及電話2827 2827") == {
        "2013-04-01",
        "2023-09",
        "1,000,000",
        "2827 2827",
    }
    assert numbers("https://pcpd.org.hk/press_20230921.html") == set()


@pytest.mark.parametrize("name", [f"utter_{t}{s}" for t in TOPICS for s in ("", "_more")])
def test_chinese_is_hong_kong_traditional(name):
    zh = variant(name, "zh")
    check_hong_kong_chinese(zh["text"] + "".join(b["title"] for b in zh.get("buttons") or []))


def test_the_checks_catch_simplified_characters_and_home_pages():
    with pytest.raises(AssertionError):
        check_hong_kong_chinese("个人资料")
    with pytest.raises(AssertionError):
        check_hong_kong_chinese("身分證")
    with pytest.raises(AssertionError):
        check_links(["https://www.pcpd.org.hk/"], "en")
    with pytest.raises(AssertionError):
        check_links(["https://www.pcpd.org.hk/tc_chi/index.html"], "zh")
    with pytest.raises(AssertionError):
        check_links(["https://pcpd.org.hk/english/complaints/introduction/introduction.html"], "zh")


@pytest.mark.parametrize("language", LANGUAGES)
def test_data_breach_offers_staff_scam_help_and_child_photo_removal(language):
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    first = variant("utter_data_breach", language)
    more = variant("utter_data_breach_more", language)
    for response in (first, more):
        assert "/human_handoff" in payloads(response)
        assert "/remove_child_content" in payloads(response)
    assert "/school_data_security" in payloads(more)
    for payload in payloads(first) + payloads(more):
        intent = payload.removeprefix("/").split("{")[0]
        assert intent == "more" or intent in domain["intents"], payload
    assert "18222" in first["text"]
    assert ("police" if language == "en" else "報警") in first["text"]


PLAN = PROJECT_ROOT / "safeshare" / "web" / "templates" / "plan"
PLAN_SECTION = {
    "en": ("## 6. HKID card copies and data breaches", "## Sources"),
    "zh": ("## 6. 身份證副本與資料外洩", "## 資料來源"),
}
PLAN_FACTS = {
    "en": [
        "2015C01",
        "birth certificate",
        "30 Jun 2023",
        "As of early 2026",
        "19 Jun 2023",
        "246",
        "37%",
        "2025",
    ],
    "zh": ["2015C01", "出生證明書", "2023年6月30日", "截至2026年初", "2023年6月19日", "246", "37%", "2025"],
}


def plan_section(language: str) -> str:
    env = Environment(loader=FileSystemLoader(str(PLAN.parent)))
    text = env.get_template(f"plan/plan.{language}.md").render(
        generated_on="2026-01-01",
        crisis_team=False,
        antibullying=False,
        parent_comms=False,
        staff_training=False,
    )
    start, end = PLAN_SECTION[language]
    assert start in text and end in text
    return text[text.index(start) : text.index(end)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_school_plan_covers_hkid_copies_and_breach_handling(language):
    section = plan_section(language)
    for fact in PLAN_FACTS[language]:
        assert fact in section, fact
    assert "facts.md" not in section and "{#" not in section
    check_links(URL.findall(section), language)
    if language == "zh":
        check_hong_kong_chinese(section)
    assert numbers(plan_section("en")) == numbers(plan_section("zh"))
