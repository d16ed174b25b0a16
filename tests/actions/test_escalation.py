import sqlalchemy as sa

from actions.escalation import (
    ActionCheckStatus,
    ActionCreateInquiry,
    ActionStartEscalation,
    ValidateEscalationForm,
)
from actions.fallback import ActionFallback
from safeshare import identity
from safeshare.db import repository
from safeshare.db.models import Inquiry
from safeshare.db.session import session_scope
from tests.actions.conftest import action, bot, make_tracker, responses, user


def _slots(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_handoff_shows_pics_and_starts_the_form(dispatcher):
    tracker = make_tracker(
        [action("action_listen"), user("I want to talk to a real person", "human_handoff")]
    )
    events = await ActionStartEscalation().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_handoff_intro", "utter_pics"]
    slots = _slots(events)
    assert slots["escalation_reason"] == "human_handoff"
    assert slots["inquiry_question"] is None
    assert not [e for e in events if e["event"] == "followup"]  # the rules start the form


async def test_second_fallback_in_a_row_escalates_with_both_questions(dispatcher):
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "doxxing_law", "confidence": 0.3}]
    events = [
        user("blah about my neighbour's drone", "nlu_fallback", 0.5, ranking),
        bot("not sure"),
        user("the drone films my kid's room", "nlu_fallback", 0.5, ranking),
    ]
    tracker = make_tracker(events)
    result = await ActionFallback().run(dispatcher, tracker, {})
    assert result == [{"event": "followup", "name": "action_start_escalation", "timestamp": None}]
    escalation = await ActionStartEscalation().run(dispatcher, tracker, {})
    slots = _slots(escalation)
    assert slots["escalation_reason"] == "repeated_fallback"
    assert slots["inquiry_question"] == "blah about my neighbour's drone\nthe drone films my kid's room"
    assert slots["nlu_guesses"][0] == {"intent": "doxxing_law", "confidence": 0.3}


async def test_first_fallback_offers_likely_topics_in_the_users_language(dispatcher):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "school_cctv", "confidence": 0.4},
        {"name": "out_of_scope", "confidence": 0.1},
        {"name": "cctv_guidance", "confidence": 0.3},
        {"name": "greet", "confidence": 0.05},
    ]
    tracker = make_tracker([user("課室裝鏡頭", "nlu_fallback", 0.45, ranking)], slots={"language": "zh"})
    assert await ActionFallback().run(dispatcher, tracker, {}) == []
    message = dispatcher.messages[0]
    assert message["response"] == "utter_fallback"
    assert [b["payload"] for b in message["buttons"]] == ["/school_cctv", "/cctv_guidance", "/human_handoff"]
    assert message["buttons"][0]["title"] == "學校閉路電視"


async def test_not_helpful_then_yes_is_negative_feedback_with_the_question(dispatcher):
    events = [
        user("can the school put photos on facebook", "school_photos"),
        action("utter_school_photos"),
        action("utter_ask_feedback"),
        action("action_listen"),
        user("👎", "feedback_not_helpful"),
        action("action_record_feedback"),
        action("utter_feedback_sorry"),
        action("action_listen"),
        user("yes", "affirm"),
    ]
    result = await ActionStartEscalation().run(dispatcher, make_tracker(events), {})
    slots = _slots(result)
    assert slots["escalation_reason"] == "negative_feedback"
    assert slots["inquiry_question"] == "can the school put photos on facebook"


async def test_report_followup_uses_the_case_summary(dispatcher):
    events = [action("action_report_deepfake_steps"), action("action_listen"), user("yes", "affirm")]
    summary = "Deepfake report: affected=child; content=sexual; platform=instagram"
    result = await ActionStartEscalation().run(
        dispatcher, make_tracker(events, {"case_summary": summary}), {}
    )
    slots = _slots(result)
    assert slots["escalation_reason"] == "report_followup"
    assert slots["inquiry_question"] == summary


def test_contact_validation(dispatcher):
    form = ValidateEscalationForm()
    tracker = make_tracker([])
    assert form.validate_contact("mum@example.com", dispatcher, tracker, {}) == {"contact": "mum@example.com"}
    assert form.validate_contact("+852 9123 4567", dispatcher, tracker, {}) == {"contact": "+852 9123 4567"}
    assert form.validate_contact("skip", dispatcher, tracker, {}) == {"contact": "", "contact_consent": False}
    assert form.validate_contact("tomorrow", dispatcher, tracker, {}) == {"contact": None}
    assert responses(dispatcher) == ["utter_contact_invalid"]


async def test_create_inquiry_stores_one_redacted_record_and_confirms(dispatcher):
    events = [
        action("action_listen"),
        user("talk to staff", "human_handoff", metadata={"channel": "telegram", "reply_to": "555"}),
        bot("I can pass your question to SafeShare staff."),
        user(
            "My HKID A123456(3) was posted online",
            "inform",
            metadata={"channel": "telegram", "reply_to": "555"},
        ),
    ]
    slots = {
        "inquiry_question": "My HKID A123456(3) was posted online",
        "escalation_reason": "human_handoff",
        "contact_consent": True,
        "contact": "me@example.com",
        "language": "en",
    }
    result = await ActionCreateInquiry().run(dispatcher, make_tracker(events, slots, "tg-abc"), {})
    message = dispatcher.messages[0]
    assert message["response"] == "utter_inquiry_created"
    reference = message["reference"]
    assert _slots(result)["inquiry_question"] is None
    with session_scope() as session:
        rows = session.execute(sa.select(Inquiry).where(Inquiry.reference == reference)).scalars().all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.channel, row.reply_address, row.reason) == ("telegram", "555", "human_handoff")
        assert row.question == "My HKID [HKID] was posted online"
        assert row.contact == "me@example.com" and row.contact_consent
        assert row.sender_key == identity.sender_key("tg-abc")
        assert all("A123456" not in line["text"] for line in row.transcript)


def answered_inquiry(channel: str, sender: str) -> str:
    """An inquiry of `sender` on `channel` that staff answered "Use form OPS003."; its reference."""
    new = repository.NewInquiry(
        reference=identity.new_reference(),
        channel=channel,
        sender_key=identity.sender_key(sender),
        language="en",
        question="q",
        reason="human_handoff",
    )
    with session_scope() as session:
        row, _ = repository.create_inquiry(session, new)
        row.status, row.staff_answer = "answered", "Use form OPS003."
    return new.reference


async def test_status_check(dispatcher):
    reference = answered_inquiry("rest", "k-owner")
    # Another conversation with the reference learns that it was answered, not what was said.
    tracker = make_tracker([user(f"status {reference.lower()}", "check_status")])
    await ActionCheckStatus().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_status_answered_elsewhere"]
    assert "Use form OPS003." not in str(dispatcher.messages)
    dispatcher.messages.clear()
    # The conversation that asked sees the answer.
    tracker = make_tracker([user(f"status {reference.lower()}", "check_status")], sender="k-owner")
    await ActionCheckStatus().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_status_answered"
    assert dispatcher.messages[0]["answer"] == "Use form OPS003."
    assert not dispatcher.messages[0]["custom"]  # not a widget inquiry: nothing to confirm
    dispatcher.messages.clear()
    await ActionCheckStatus().run(dispatcher, make_tracker([user("status SS-ZZZZZ", "check_status")]), {})
    assert responses(dispatcher) == ["utter_status_not_found"]


async def test_a_widget_inquirys_answer_read_by_status_is_marked_for_the_widget_to_confirm(dispatcher):
    reference = answered_inquiry("socketio", "widget-session")
    tracker = make_tracker([user(f"status {reference}", "check_status")], sender="widget-session")
    await ActionCheckStatus().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_status_answered"
    assert dispatcher.messages[0]["custom"] == {"data": {"staff_answer": reference}}
    with session_scope() as session:  # delivered only once the widget confirms it showed it
        assert repository.get_inquiry(session, reference).delivery_status != "delivered"
