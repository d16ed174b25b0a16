"""No crisis is turned away: every message of the blind crisis sets (tests/nlu_crisis/, written from
the style guide alone, never trained on) gets the report flow or a safety answer, 999 first, through
the real server and model. The look-alikes that are not crises are only counted (over-triggering
costs one safety line; it is reported, not failed)."""

from __future__ import annotations

import uuid

import httpx
import pytest
import yaml

from safeshare.nlu.crisis import FITS_A_CRISIS, REPORT_INTENT, SAFETY_INTENT
from safeshare.settings import PROJECT_ROOT, get_settings
from tests.helpers import REPORTS, chat, texts

pytestmark = pytest.mark.model

ROUTED = FITS_A_CRISIS | {REPORT_INTENT, SAFETY_INTENT}
TURNED_AWAY = ("outside what I can help", "不在我可以協助", "didn't quite get", "不太明白")


def _load(language: str) -> dict:
    return yaml.safe_load((PROJECT_ROOT / "tests" / "nlu_crisis" / f"{language}.yml").read_text("utf-8"))


def _intent(stack, sender: str) -> str:
    token = get_settings().rasa_token
    response = httpx.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": token}, timeout=30
    )
    response.raise_for_status()
    return response.json()["latest_message"]["intent"]["name"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_crisis_gets_safety_first(stack, language):
    data = _load(language)
    assert len(data["crisis"]) >= 40
    failures = []
    for item in data["crisis"]:
        sender = f"crisis-{uuid.uuid4().hex}"
        replies = chat(stack, sender, item["text"])
        first = str(replies[0].get("text", "")) if replies else ""
        intent = _intent(stack, sender)
        said = texts(replies)
        if "999" not in first or intent not in ROUTED or any(t in said for t in TURNED_AWAY):
            failures.append((item["signal"], item["style"], intent, item["text"][:80], first[:60]))
    REPORTS.append(f"crisis {language}: {len(data['crisis']) - len(failures)}/{len(data['crisis'])} routed")
    assert failures == []


@pytest.mark.parametrize("language", ["en", "zh"])
def test_look_alikes_are_counted(stack, language):
    data = _load(language)
    routed = 0
    for item in data["not_crisis"]:
        sender = f"lookalike-{uuid.uuid4().hex}"
        chat(stack, sender, item["text"])
        routed += _intent(stack, sender) in {REPORT_INTENT, SAFETY_INTENT}
    REPORTS.append(
        f"crisis look-alikes {language}: {routed}/{len(data['not_crisis'])} sent to the report flow or safety"
    )
    assert len(data["not_crisis"]) >= 10
