"""Priority and reason when an inquiry is made: from the crisis signals of the user's messages and
the report flow's answers, stored as categories, never as the user's words."""

from __future__ import annotations

import sqlalchemy as sa

from actions.escalation import ActionCreateInquiry
from safeshare import inquiries
from safeshare.db.models import Inquiry
from safeshare.db.session import session_scope
from safeshare.inquiries import Priority
from safeshare.settings import get_settings
from tests.actions.conftest import action, bot, make_tracker, user


def test_rules():
    assert inquiries.triage(["Can the school post class photos on Facebook?"]).priority == Priority.normal
    assert inquiries.triage(["My student asked about privacy settings"]).priority == Priority.normal
    # sexual content of a child, sextortion, self-harm, danger: urgent
    assert inquiries.triage(["someone made a nude deepfake of my daughter"]).priority == Priority.urgent
    assert inquiries.triage(["he says he will post the nudes unless I pay"]).priority == Priority.urgent
    assert inquiries.triage(["I want to die"]).priority == Priority.urgent
    assert inquiries.triage(["有人整咗我個女嘅裸照"]).priority == Priority.urgent
    # any other crisis: high
    assert inquiries.triage(["a fake nude of me is going round"]).priority == Priority.high
    # the report flow's answers count even when the words did not show it
    assert inquiries.triage(["yes"], affected="child", content_kind="other").priority == Priority.high
    assert inquiries.triage(["yes"], affected="student", content_kind="sexual").priority == Priority.urgent
    assert inquiries.triage(["yes"], affected="self", content_kind="money").priority == Priority.high
    assert inquiries.triage(["yes"], affected="self", content_kind="other").priority == Priority.normal


def test_reason_lists_categories_gravest_first():
    found = inquiries.triage(["fake nude of my son, they want HK$5000"])
    assert found.priority == Priority.urgent
    assert found.reason == "sexual content; child affected; money demanded"
    assert inquiries.triage(["hello"]).reason is None


def _slots(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_urgent_report_followup_is_stored_with_categories_and_promised_today(dispatcher):
    secret = "Chan Tai Man from 4B made a naked picture of my daughter and posted it"
    events = [
        action("action_listen"),
        user(secret, "report_deepfake", metadata={"channel": "telegram", "reply_to": "77"}),
        {"event": "slot", "name": "affected", "value": "child"},
        {"event": "slot", "name": "content_kind", "value": "sexual"},
        action("action_report_deepfake_steps"),
        # the report flow clears its slots once it has given its steps
        {"event": "slot", "name": "affected", "value": None},
        {"event": "slot", "name": "content_kind", "value": None},
        bot("Would you like staff to follow up?"),
        user("yes", "affirm", metadata={"channel": "telegram", "reply_to": "77"}),
    ]
    slots = {
        "inquiry_question": "Deepfake report: affected=child; content=sexual; platform=instagram",
        "escalation_reason": "report_followup",
        "contact_consent": False,
        "language": "en",
    }
    await ActionCreateInquiry().run(dispatcher, make_tracker(events, slots, "tg-triage"), {})
    message = dispatcher.messages[0]
    assert message["response"] == "utter_inquiry_created_today"
    assert message["days"] == get_settings().staff_reply_days_urgent == 0
    with session_scope() as session:
        row = session.execute(
            sa.select(Inquiry).where(Inquiry.reference == message["reference"])
        ).scalar_one()
        assert row.priority == Priority.urgent
        assert row.priority_reason == "sexual content; child affected"
        assert row.due_on == inquiries.due_on(row.created_at, Priority.urgent, get_settings())
        assert "Chan" not in row.priority_reason


async def test_normal_inquiry_is_promised_the_normal_target(dispatcher):
    events = [user("talk to staff", "human_handoff"), user("Can my landlord keep my HKID copy?", "inform")]
    slots = {"inquiry_question": "Can my landlord keep my HKID copy?", "escalation_reason": "human_handoff"}
    await ActionCreateInquiry().run(dispatcher, make_tracker(events, slots, "rest-normal"), {})
    message = dispatcher.messages[0]
    assert message["response"] == "utter_inquiry_created"
    assert message["days"] == get_settings().staff_reply_days
    with session_scope() as session:
        row = session.execute(
            sa.select(Inquiry).where(Inquiry.reference == message["reference"])
        ).scalar_one()
        assert row.priority == Priority.normal and row.priority_reason is None


async def test_high_is_promised_the_next_working_day(dispatcher):
    events = [user("my ex is threatening to share a fake video of me", "human_handoff")]
    slots = {"inquiry_question": "what can I do", "escalation_reason": "human_handoff"}
    await ActionCreateInquiry().run(dispatcher, make_tracker(events, slots, "rest-high"), {})
    assert dispatcher.messages[0]["response"] == "utter_inquiry_created_next_day"
    assert dispatcher.messages[0]["days"] == 1


def test_every_promise_is_a_response_in_both_languages():
    from actions.escalation import PROMISE, PROMISES
    from safeshare import responses

    for name in (PROMISE, *PROMISES.values()):
        english = responses.text(name, "en", reference="SS-TEST2", days=3)
        chinese = responses.text(name, "zh", reference="SS-TEST2", days=3)
        assert "SS-TEST2" in english and "SS-TEST2" in chinese and english != chinese
        assert "{" not in english + chinese
