"""Escalation: what the assistant cannot resolve becomes an inquiry that staff answer.

Triggers: the user asks for a person; two fallbacks in a row; "not helpful" then "yes, send it to
staff"; the end of the deepfake report when the user wants follow-up. The user sees a short
Personal Information Collection Statement before any question about contact details, and gets a
reference number whether or not the database is up (the spool keeps the inquiry until it is).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from safeshare import identity, inquiries
from safeshare.db import repository, spool
from safeshare.db.session import session_scope
from safeshare.errors import StoreUnavailable
from safeshare.inquiries import EscalationReason, InquiryStatus, Triage
from safeshare.redaction import redact
from safeshare.settings import get_settings

logger = logging.getLogger(__name__)

# What the user is told about when staff reply, by the reply target in working days.
PROMISE = "utter_inquiry_created"
PROMISES = {0: "utter_inquiry_created_today", 1: "utter_inquiry_created_next_day"}
SKIP_WORDS = {"skip", "no", "none", "no thanks", "跳過", "唔使", "不用", "冇", "沒有"}
MAX_QUESTION = 2000


def _previous_action(tracker: Tracker) -> str | None:
    """The last action the bot ran before the latest user message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") != "action_listen":
            return str(event.get("name"))
    return None


def _fallback_texts(tracker: Tracker) -> list[dict[str, Any]]:
    """The run of consecutive fallback messages at the end of the session (oldest first)."""
    run: list[dict[str, Any]] = []
    for event in reversed(common.user_turns(tracker)):
        intent = common.intent_of(event)
        if intent == "nlu_fallback":
            run.insert(0, event)
        elif run or intent not in {"human_handoff", "affirm"}:
            break
    return run


class ActionStartEscalation(Action):
    def name(self) -> str:
        return "action_start_escalation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        latest = common.latest_intent(tracker)
        previous = _previous_action(tracker)
        fallbacks = _fallback_texts(tracker)
        question: str | None = None
        guesses: list[dict[str, Any]] = []
        if latest == "nlu_fallback":
            reason = EscalationReason.repeated_fallback
        elif latest == "affirm" and previous == "action_report_deepfake_steps":
            reason = EscalationReason.report_followup
            question = tracker.get_slot("case_summary")
        elif latest == "affirm" and previous == "utter_feedback_sorry":
            reason = EscalationReason.negative_feedback
        else:
            reason = EscalationReason.human_handoff
        if reason is EscalationReason.negative_feedback:
            asked = common.last_topic_question(tracker)
            if asked:
                question = str(asked.get("text") or "")
                guesses = common.ranking_of(asked)
        elif fallbacks and reason is not EscalationReason.report_followup:
            question = "\n".join(str(e.get("text") or "") for e in fallbacks)
            guesses = common.ranking_of(fallbacks[-1])
        dispatcher.utter_message(response="utter_handoff_intro")
        dispatcher.utter_message(response="utter_pics", days=get_settings().retention_days)
        return [
            SlotSet("escalation_reason", reason.value),
            SlotSet("inquiry_question", (question or None) and question[:MAX_QUESTION]),
            SlotSet("contact_consent", None),
            SlotSet("contact", None),
            SlotSet("nlu_guesses", guesses or None),
        ]


class ValidateEscalationForm(FormValidationAction):
    def name(self) -> str:
        return "validate_escalation_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("contact_consent") is False:
            return [slot for slot in domain_slots if slot != "contact"]
        return domain_slots

    def validate_inquiry_question(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if len(text) < 2 or text.startswith("/"):
            return {"inquiry_question": None}
        return {"inquiry_question": text[:MAX_QUESTION]}

    def validate_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if text.lower() in SKIP_WORDS:
            return {"contact": "", "contact_consent": False}
        placeholders = redact(text)
        if "[EMAIL]" in placeholders or "[PHONE]" in placeholders:
            return {"contact": text[:255]}
        dispatcher.utter_message(response="utter_contact_invalid")
        return {"contact": None}


def triage(tracker: Tracker) -> Triage:
    """How urgent the inquiry is, from the session's user messages (redacted first, like everything
    stored) and the report flow's answers. Only categories come out of this, never words."""
    messages = [redact(str(event.get("text") or "")) for event in common.user_turns(tracker)]
    messages.append(redact(str(tracker.get_slot("inquiry_question") or "")))
    return inquiries.triage(
        messages,
        affected=common.reported_value(tracker, "affected"),
        content_kind=common.reported_value(tracker, "content_kind"),
    )


class ActionCreateInquiry(Action):
    """Records the inquiry (the spool keeps it if the database is down) and tells the user the
    reference and when staff aim to reply: the reply target of the inquiry's priority, the same
    setting the console's due dates use. Staff alerts are sent by the web app (safeshare.notify),
    never from here: the user's conversation waits for nothing."""

    def name(self) -> str:
        return "action_create_inquiry"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        consent = bool(tracker.get_slot("contact_consent"))
        found = triage(tracker)
        new = repository.NewInquiry(
            reference=identity.new_reference(),
            channel=common.channel(tracker),
            sender_key=common.sender(tracker),
            reply_address=common.reply_address(tracker),
            language=common.language(tracker),
            question=str(tracker.get_slot("inquiry_question") or "")[:MAX_QUESTION],
            reason=str(tracker.get_slot("escalation_reason") or EscalationReason.human_handoff.value),
            transcript=common.transcript(tracker),
            nlu_guesses=list(tracker.get_slot("nlu_guesses") or []),
            contact_consent=consent,
            contact=(tracker.get_slot("contact") or None) if consent else None,
            priority=found.priority.value,
            priority_reason=found.reason,
        )
        stored = spool.submit_inquiry(new)
        spool.ensure_background_flush()
        logger.info(
            "inquiry %s recorded (%s), priority %s",
            new.reference,
            "database" if stored else "spool",
            found.priority,
        )
        days = inquiries.reply_days(get_settings(), found.priority)
        dispatcher.utter_message(response=PROMISES.get(days, PROMISE), reference=new.reference, days=days)
        return common.reset_flow_events() + [SlotSet("nlu_guesses", None)]


class ActionCheckStatus(Action):
    def name(self) -> str:
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reference = identity.find_reference(str(tracker.latest_message.get("text") or ""))
        if reference is None:
            dispatcher.utter_message(response="utter_status_ask_reference")
            return []
        try:
            with session_scope() as session:
                inquiry = repository.get_inquiry(session, reference)
                reply = (
                    None
                    if inquiry is None
                    else inquiries.status_reply(
                        inquiry.status,
                        inquiry.staff_answer,
                        own=inquiry.sender_key == common.sender(tracker),
                        channel=inquiry.channel,
                    )
                )
        except StoreUnavailable:
            logger.warning("inquiry database unavailable for a status check")
            if not any(p.stem == reference for p in spool.pending()):
                dispatcher.utter_message(response="utter_error")
                return []
            reply = inquiries.status_reply(InquiryStatus.new, None, own=False, channel="")
        if reply is None:
            dispatcher.utter_message(response="utter_status_not_found", reference=reference)
            return []
        dispatcher.utter_message(
            response=reply.response,
            reference=reference,
            answer=reply.answer,
            json_message=inquiries.staff_answer_marker(reference) if reply.confirm else None,
        )
        return []


class ActionDeliverStaffAnswer(Action):
    """Runs when the staff console triggers `staff_answer_ready` for a widget conversation."""

    def name(self) -> str:
        return "action_deliver_staff_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        references = [
            str(e.get("value"))
            for e in tracker.latest_message.get("entities", [])
            if e.get("entity") == "reference"
        ]
        with session_scope() as session:
            for reference in references:
                inquiry = repository.get_inquiry(session, reference)
                if inquiry is None or inquiry.sender_key != common.sender(tracker):
                    continue
                if inquiry.staff_answer and common.say_staff_answer(dispatcher, inquiry):
                    repository.mark_delivered(session, inquiry)
        return []
