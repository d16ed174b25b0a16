"""What counts as a sensible answer to a hostile input, and the known gaps (each with its reason,
tested with strict xfail so that fixing one makes its test say so).

Why a separate module: the REST, Socket.IO and Telegram tests judge their replies by the same
rules, and the gaps found by this suite are listed once, where the lead can read them.
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

# Non-empty input that gets no reply at all over REST and Socket.IO (the Telegram relay answers
# an empty reply with an apology, so these are not gaps there).
SILENT_GAPS = {
    "/restart": "Rasa's action_restart utters only `utter_restart`, which the domain does not "
    "define: the user's conversation is wiped without a word",
    "/session_start": "a new session starts (action_session_start) but nothing is said",
}
SURROGATE_GAP = (
    "a lone UTF-16 surrogate (valid JSON \\ud800, or raw bytes ED A0 80 that Sanic's JSON parser "
    "accepts) makes SpacyNLP fail to encode the text: Rasa logs the error (with the text) and "
    "the message is dropped with an empty reply"
)

# The REST channel reads `request.json.get(...)`: a JSON body that is not an object, or no body,
# is an AttributeError inside Rasa, answered 500.
RAW_5XX_GAPS = {
    "raw-array": "a JSON array body: Rasa's REST channel calls .get on it (500)",
    "raw-null": "a JSON null body: Rasa's REST channel calls .get on None (500)",
    "raw-empty-body": "an empty body: request.json is None, .get fails (500)",
}
RAW_SILENT_GAPS = {
    "raw-lone-surrogate-escape": SURROGATE_GAP,
    "raw-surrogate-encoded": SURROGATE_GAP,
}

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


def has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


def gap(case: Case) -> str | None:
    """Why this input gets no reply today over REST/Socket.IO, if that is a known gap."""
    if case.text in SILENT_GAPS:
        return SILENT_GAPS[case.text]
    if has_surrogate(case.text):
        return SURROGATE_GAP
    return None


def forbidden_in(texts: list[str]) -> list[str]:
    joined = "\n".join(texts)
    found = [needle for needle in FORBIDDEN if needle.lower() in joined.lower()]
    found += [m.group(0) for m in PLACEHOLDER.finditer(joined)]
    return found
