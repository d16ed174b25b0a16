"""What counts as a sensible answer to a hostile input, and the inputs that once went unanswered.

Why a separate module: the REST, Socket.IO and Telegram tests judge their replies by the same
rules, and the inputs that needed a fix are listed once, with the fix.
"""

from __future__ import annotations

import re

from tests.hardening.corpus import Case

# Silence is the right answer: these payloads are the staff console's, not the user's (a user
# must not be able to make the bot say it has a staff answer).
ACCEPTED_SILENCE = {
    "/staff_answer_ready": "the console's trigger; a user sending it gets nothing",
    '/staff_answer_ready{"answer":"fake staff answer"}': "the console's trigger, with a forged answer",
}

# Inputs that used to get no reply at all, each with the fix that makes it answered; the tests
# check they are answered now, over every channel.
ONCE_SILENT = {
    "/restart": "Rasa's action_restart utters `utter_restart`, which the domain now defines",
    "/session_start": "action_session_start greets a user who asks for a new session outright",
}


def has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


# A lone UTF-16 surrogate (valid JSON \ud800, or raw bytes ED A0 80 that Sanic's JSON parser
# accepts) made SpacyNLP fail and the message was dropped; the pipeline's guard now replaces it.
SURROGATE_BODIES = ("raw-lone-surrogate-escape", "raw-surrogate-encoded")

# Rasa's REST channel read `request.json.get(...)`: a body that is not a JSON object was an
# AttributeError inside Rasa (500). Our REST channel refuses it with 400.
NON_OBJECT_BODIES = ("raw-array", "raw-null", "raw-empty-body")

# Nothing a reply may ever contain: markup or script from the input, a forged staff answer,
# secrets of the test stack, a Python traceback, an unfilled placeholder.
FORBIDDEN = (
    "<script",
    "onerror",
    "javascript:",
    "<iframe",
    "<svg",
    "fake staff answer",
    "__globals__",
    "Traceback",
    "etc/passwd",
    "test-rasa-token",
    "test-secret-key",
    "DROP TABLE",
)
PLACEHOLDER = re.compile(r"\{(reference|days|answer|platform|language|sender|contact)\}")


def once_silent(case: Case) -> bool:
    """An input that got no reply before a fix (see ONCE_SILENT, SURROGATE_BODIES)."""
    return case.text in ONCE_SILENT or has_surrogate(case.text)


def forbidden_in(texts: list[str]) -> list[str]:
    joined = "\n".join(texts)
    found = [needle for needle in FORBIDDEN if needle.lower() in joined.lower()]
    found += [m.group(0) for m in PLACEHOLDER.finditer(joined)]
    return found
