"""What several actions need to know about a conversation: language, channel, sender, context."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from safeshare import inquiries
from safeshare.catalogue import is_answer_topic
from safeshare.db.models import Inquiry
from safeshare.domain import form_slots
from safeshare.identity import sender_key
from safeshare.language import effective

# Slots the flows set themselves, beside what their forms ask for (domain.yml).
FLOW_SET_SLOTS = ("escalation_reason", "case_summary")


def flow_slots() -> tuple[str, ...]:
    """What a flow leaves behind: its forms' slots, the slots it sets, the form's requested slot."""
    return (*form_slots(), *FLOW_SET_SLOTS, "requested_slot")


def language(tracker: Tracker) -> str:
    return effective(tracker.current_slot_values())


def metadata(tracker: Tracker) -> dict[str, Any]:
    return dict(tracker.latest_message.get("metadata") or {})


def channel(tracker: Tracker) -> str:
    """`telegram` for the relay (it says so in metadata), else Rasa's input channel name."""
    return str(metadata(tracker).get("channel") or tracker.get_latest_input_channel() or "rest")


def reply_address(tracker: Tracker) -> str | None:
    """Where a staff answer can be sent later on this channel (Telegram chat, widget session)."""
    name = channel(tracker)
    if name == inquiries.TELEGRAM:
        value = metadata(tracker).get("reply_to")
        return str(value) if value else None
    if name == inquiries.WIDGET:
        return tracker.sender_id
    return None


def sender(tracker: Tracker) -> str:
    return sender_key(tracker.sender_id)


def user_turns(tracker: Tracker) -> list[dict[str, Any]]:
    """User messages of the current session, oldest first."""
    turns: list[dict[str, Any]] = []
    for event in tracker.events:
        if event.get("event") == "session_started":
            turns = []
        elif event.get("event") == "user":
            turns.append(event)
    return turns


def reported_value(tracker: Tracker, slot: str) -> str | None:
    """The last value a slot had in this session, even if a flow has cleared it since (the
    report flow clears `affected` and `content_kind` once it has given its steps)."""
    value = tracker.get_slot(slot)
    if value:
        return str(value)
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            break
        if event.get("event") == "slot" and event.get("name") == slot and event.get("value"):
            return str(event["value"])
    return None


def intent_of(event: dict[str, Any]) -> str | None:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def ranking_of(event: dict[str, Any], limit: int = 3) -> list[dict[str, Any]]:
    ranking = (event.get("parse_data") or {}).get("intent_ranking") or []
    return [
        {"intent": item.get("name"), "confidence": round(float(item.get("confidence", 0)), 3)}
        for item in ranking
        if item.get("name") != "nlu_fallback"
    ][:limit]


def last_topic_question(tracker: Tracker) -> dict[str, Any] | None:
    """The latest user message that was answered as a catalogue topic."""
    for event in reversed(user_turns(tracker)):
        if is_answer_topic(intent_of(event)):
            return event
    return None


def transcript(tracker: Tracker, turns: int = 12) -> list[dict[str, str]]:
    """The last messages of the session as {who, text}; redacted when stored."""
    lines: list[dict[str, str]] = []
    for event in tracker.events:
        if event.get("event") == "session_started":
            lines = []
        elif event.get("event") == "user" and event.get("text"):
            lines.append({"who": "user", "text": str(event["text"])[:2000]})
        elif event.get("event") == "bot" and event.get("text"):
            lines.append({"who": "bot", "text": str(event["text"])[:2000]})
    return lines[-turns:]


def reset_flow_events() -> list[dict[str, Any]]:
    from rasa_sdk.events import SlotSet

    return [SlotSet(name, None) for name in flow_slots()]


def say_staff_answer(dispatcher: CollectingDispatcher, inquiry: Inquiry) -> bool:
    """Says a staff answer in the conversation. Returns True if saying it delivers it.

    In the widget (Socket.IO) it is only delivered once a browser has shown it: the message
    carries the reference, and the widget confirms (`staff_answer_seen`), which marks it
    delivered; until then it is said again at the user's next session."""
    by_widget = inquiries.confirmed_by_widget(inquiry.channel)
    dispatcher.utter_message(
        response="utter_staff_answer",
        reference=inquiry.reference,
        answer=inquiry.staff_answer,
        json_message=inquiries.staff_answer_marker(inquiry.reference) if by_widget else None,
    )
    return not by_widget
