"""Each escalation trigger creates exactly one inquiry with the right fields, on SQLite and
PostgreSQL (the real action code against a real database)."""

import pytest
import sqlalchemy as sa

from actions.escalation import ActionCreateInquiry, ActionStartEscalation
from safeshare.db.models import Inquiry
from safeshare.db.session import engine_for, session_scope
from safeshare.settings import get_settings
from tests.actions.conftest import action, make_tracker, user

TRIGGERS = {
    "human_handoff": [action("action_listen"), user("can I talk to a person", "human_handoff")],
    "repeated_fallback": [
        user(
            "drone over my flat filming", "nlu_fallback", 0.4, [{"name": "cctv_guidance", "confidence": 0.3}]
        ),
        user(
            "it films my kids every day", "nlu_fallback", 0.4, [{"name": "cctv_guidance", "confidence": 0.35}]
        ),
    ],
    "negative_feedback": [
        user("school posted my son's photo", "school_photos"),
        action("utter_school_photos"),
        user("not helpful", "feedback_not_helpful"),
        action("utter_feedback_sorry"),
        action("action_listen"),
        user("yes please", "affirm"),
    ],
    "report_followup": [
        action("action_report_deepfake_steps"),
        action("action_listen"),
        user("yes", "affirm"),
    ],
}


@pytest.fixture()
def use_store(store_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", store_url)
    get_settings.cache_clear()
    engine_for.cache_clear()
    yield store_url
    get_settings.cache_clear()
    engine_for.cache_clear()


@pytest.mark.parametrize("reason", list(TRIGGERS))
async def test_trigger_creates_exactly_one_record(use_store, dispatcher, reason):
    events = TRIGGERS[reason]
    sender = f"trigger-{reason}"
    start = await ActionStartEscalation().run(
        dispatcher, make_tracker(events, {"case_summary": "Deepfake report: affected=self"}), {}
    )
    slots = {e["name"]: e["value"] for e in start}
    slots["inquiry_question"] = slots["inquiry_question"] or "Is my neighbour allowed to film us?"
    slots["contact_consent"] = False
    slots["language"] = "en"
    dispatcher.messages.clear()
    await ActionCreateInquiry().run(dispatcher, make_tracker(events, slots, sender), {})
    reference = dispatcher.messages[0]["reference"]
    with session_scope() as session:
        rows = session.execute(sa.select(Inquiry)).scalars().all()
    assert [r.reference for r in rows] == [reference]
    row = rows[0]
    assert row.reason == reason
    assert row.status == "new" and row.contact is None and not row.contact_consent
    assert row.channel == "rest" and row.language == "en"
    expected_question = {
        "human_handoff": "Is my neighbour allowed to film us?",
        "repeated_fallback": "drone over my flat filming\nit films my kids every day",
        "negative_feedback": "school posted my son's photo",
        "report_followup": "Deepfake report: affected=self",
    }[reason]
    assert row.question == expected_question
    if reason == "repeated_fallback":
        assert row.nlu_guesses == [{"intent": "cctv_guidance", "confidence": 0.35}]
