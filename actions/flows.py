"""The three guided flows: report a deepfake, privacy settings per platform, a school's plan."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from safeshare import crisis
from safeshare.domain import form_slots, slot_values  # (Rasa's `domain` argument is another thing)
from safeshare.settings import get_settings

# The platforms are the values of the `platform` slot (domain.yml): see platforms().
UNDER_18 = {"child", "student"}
NOW = {
    "sexual": "utter_report_now_sexual",
    "threat": "utter_report_now_threat",
    "money": "utter_report_now_money",
}
PENDING = "report_pending"


def platforms() -> tuple[str, ...]:
    """Every platform the assistant knows (domain.yml, slot `platform`), without "other"."""
    return tuple(value for value in slot_values("platform") if value != "other")


def report_platforms() -> tuple[str, ...]:
    """The platforms with report steps of their own (utter_report_platform_<platform>): all but
    Douyin, which gets the general steps (utter_report_platform_other)."""
    return tuple(platform for platform in platforms() if platform != "douyin")


def __getattr__(name: str) -> Any:
    if name == "PLATFORMS":  # `from actions.flows import PLATFORMS`: the report platforms
        return report_platforms()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def report_steps(affected: str | None, content_kind: str | None, platform: str | None) -> list[str]:
    """The report checklist as one response per group, most urgent first.

    The first group (999, what to note instead of keeping an image, the police where needed) is
    said at once; the others wait for "Next steps", so someone in distress gets one short message
    at a time. The last group offers staff follow-up.
    """
    young = affected in UNDER_18
    groups = [
        NOW.get(str(content_kind), "utter_report_now_other"),
        f"utter_report_platform_{platform if platform in report_platforms() else 'other'}",
    ]
    if content_kind == "sexual":
        # "Me" may be a teenager: the self-report names Take It Down (under 18) before StopNCII (18+)
        if young:
            groups.append("utter_report_removal_young")
        elif affected == "other":
            groups.append("utter_report_removal_adult")
        else:
            groups.append("utter_report_removal_self")
    elif content_kind == "threat":
        groups.append("utter_report_threat")
    elif content_kind == "money":
        groups.append("utter_report_scam")
    groups.append("utter_report_pcpd_young" if young else "utter_report_pcpd")
    groups.append("utter_report_support")
    return groups


def say_next_report_group(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """Says the next waiting group of a report checklist; None when no report is waiting."""
    pending = [str(name) for name in tracker.get_slot(PENDING) or []]
    if not pending:
        return None
    dispatcher.utter_message(response=pending[0])
    return [SlotSet(PENDING, pending[1:] or None)]


# The crisis categories that are kinds of content (values of the `content_kind` slot), most urgent first.
CRISIS_KINDS = (crisis.SEXUAL, crisis.THREAT, crisis.MONEY)


def answered_elsewhere(tracker: Tracker, slot: str) -> Any:
    """The value the latest message gives `slot` of the report form when the form asked about
    another of its slots and the message does not answer that one.

    Asked what kind of content it is, someone may answer who it is about (「係我個仔」) or where it
    is; the form takes that answer for the slot it fits and asks its question again, instead of
    rejecting the message as not understood. A message that does answer the question asked
    ("they are asking me for money" when asked the kind of content) fills only that slot, so the
    "me" in it does not overwrite who is affected.
    """
    requested = tracker.get_slot("requested_slot")
    if requested in (None, slot):
        return None
    entities = tracker.latest_message.get("entities") or []
    if any(entity.get("entity") == requested for entity in entities):
        return None
    allowed = slot_values(slot)
    values = [str(e.get("value")) for e in entities if e.get("entity") == slot]
    values = [value for value in values if value in allowed]
    return values[-1] if values else None


def kind_from_crisis(tracker: Tracker) -> str | None:
    """The kind of content from the crisis lexicon (safeshare/crisis.py) when the gazetteer found
    none and the form does not know it yet: 「咸片」 or "his nudes of me" name it as surely as a
    button would, and a parent who said so should not be asked again. The most urgent kind wins,
    as in the checklist (sexual, then threat, then money)."""
    if tracker.get_slot("content_kind"):
        return None
    entities = tracker.latest_message.get("entities") or []
    if any(entity.get("entity") == "content_kind" for entity in entities):
        return None
    found = {str(e.get("value")) for e in entities if e.get("entity") == "crisis"}
    return next((kind for kind in CRISIS_KINDS if kind in found), None)


def kind_for_steps(tracker: Tracker, value: Any) -> Any:
    """The kind of content whose steps fit: a sexual image used to threaten or to get money
    (sextortion) is a threat. The threat steps say both "don't pay" and "don't save, screenshot or
    forward the image"; the money steps say "keep the messages", which may hold the image, and the
    sexual ones do not say "don't pay". Otherwise the value stands."""
    entities = tracker.latest_message.get("entities") or []
    kinds = {str(e.get("value")) for e in entities if e.get("entity") in ("content_kind", "crisis")}
    kinds = (kinds | {str(value)}) & set(CRISIS_KINDS)
    if crisis.SEXUAL in kinds and kinds & {crisis.THREAT, crisis.MONEY}:
        return crisis.THREAT
    return value


class ValidateReportDeepfakeForm(FormValidationAction):
    """Called by the report form only, when it starts and after each answer. Takes an answer
    given to another of the report's questions (`answered_elsewhere`) and a kind of content the
    crisis lexicon recognised (`kind_from_crisis`), and makes sextortion a threat
    (`kind_for_steps`)."""

    def name(self) -> str:
        return "validate_report_deepfake_form"

    async def extract_affected(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        value = answered_elsewhere(tracker, "affected")
        return {"affected": value} if value else {}

    async def extract_content_kind(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        value = answered_elsewhere(tracker, "content_kind") or kind_from_crisis(tracker)
        return {"content_kind": value} if value else {}

    async def validate_content_kind(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"content_kind": kind_for_steps(tracker, slot_value)}


class ActionReportDeepfakeSteps(Action):
    """The checklist after the report questions; then, on "Next steps", its next group."""

    def name(self) -> str:
        return "action_report_deepfake_steps"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if common.latest_intent(tracker) == "more":
            events = say_next_report_group(dispatcher, tracker)
            if events is None:
                dispatcher.utter_message(response="utter_more_none")
            return events or []
        affected = tracker.get_slot("affected")
        content_kind = tracker.get_slot("content_kind")
        platform = tracker.get_slot("platform")
        first, *rest = report_steps(affected, content_kind, platform)
        dispatcher.utter_message(response=first)
        summary = (
            f"Deepfake report: affected={affected or 'unknown'}; "
            f"content={content_kind or 'unknown'}; platform={platform or 'unknown'}"
        )
        return [
            SlotSet("affected", None),
            SlotSet("content_kind", None),
            SlotSet("platform", None),
            SlotSet("case_summary", summary),
            SlotSet(PENDING, rest),
        ]


def privacy_steps(dispatcher: CollectingDispatcher, platform: str | None) -> None:
    if platform in platforms():
        dispatcher.utter_message(response=f"utter_privacy_{platform}")
    else:
        dispatcher.utter_message(response="utter_privacy_other")
    dispatcher.utter_message(response="utter_privacy_more")


class ActionPrivacySteps(Action):
    def name(self) -> str:
        return "action_privacy_steps"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        privacy_steps(dispatcher, tracker.get_slot("platform"))
        return [SlotSet("platform", None)]


class ActionHandleInform(Action):
    """A bare answer outside a flow: "and for TikTok?" gets TikTok's steps; else the menu."""

    def name(self) -> str:
        return "action_handle_inform"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        platforms = [
            e.get("value")
            for e in tracker.latest_message.get("entities", [])
            if e.get("entity") == "platform"
        ]
        if platforms:
            privacy_steps(dispatcher, str(platforms[-1]))
            return [SlotSet("platform", None)]
        dispatcher.utter_message(response="utter_default")
        return []


def plan_answers(tracker: Tracker) -> dict[str, Any]:
    return {
        "crisis_team": bool(tracker.get_slot("has_crisis_team")),
        "antibullying": bool(tracker.get_slot("has_antibullying")),
        "parent_comms": bool(tracker.get_slot("has_parent_comms")),
        "staff_training": bool(tracker.get_slot("has_staff_training")),
    }


def plan_url(answers: dict[str, Any], language: str) -> str:
    query = {key: "1" if value else "0" for key, value in answers.items()}
    query["lang"] = language
    return f"{get_settings().public_url}/plan/school.md?{urlencode(query)}"


class ActionSchoolPlan(Action):
    def name(self) -> str:
        return "action_school_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = common.language(tracker)
        url = plan_url(plan_answers(tracker), language)
        # Rasa 3.6's Socket.IO output cannot send a custom payload (it raises in `emit`); the
        # widget gets the link in the text, Telegram gets the file itself.
        document = {"document": {"url": url, "filename": "school-deepfake-plan.md"}}
        dispatcher.utter_message(
            response="utter_school_plan_ready",
            plan_url=url,
            json_message=None if common.channel(tracker) == "socketio" else document,
        )
        return [SlotSet(name, None) for name in form_slots("school_plan_form")]


class ActionResetFlow(Action):
    def name(self) -> str:
        return "action_reset_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [*common.reset_flow_events(), SlotSet(PENDING, None)]
