"""The three guided flows: report a deepfake, privacy settings per platform, a school's plan."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from safeshare.settings import get_settings

PLATFORMS = ("facebook", "instagram", "threads", "whatsapp", "tiktok", "youtube", "snapchat", "x")
UNDER_18 = {"child", "student"}


def report_steps(affected: str | None, content_kind: str | None, platform: str | None) -> list[str]:
    """The responses for a deepfake report, in the order a person should act on them."""
    steps = ["utter_report_safety", "utter_report_evidence"]
    steps.append(f"utter_report_platform_{platform if platform in PLATFORMS else 'other'}")
    if content_kind in {"sexual", "threat", "money"}:
        steps.append("utter_report_police")
    if content_kind == "money":
        steps.append("utter_report_money")
    if content_kind == "sexual":
        steps.append("utter_report_takeitdown" if affected in UNDER_18 else "utter_report_stopncii")
        steps.append("utter_report_rainlily")
    steps.append("utter_report_pcpd")
    if affected in UNDER_18:
        steps.append("utter_report_school")
    steps.append("utter_report_support")
    steps.append("utter_offer_escalation")
    return steps


class ActionReportDeepfakeSteps(Action):
    def name(self) -> str:
        return "action_report_deepfake_steps"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        affected = tracker.get_slot("affected")
        content_kind = tracker.get_slot("content_kind")
        platform = tracker.get_slot("platform")
        for response in report_steps(affected, content_kind, platform):
            dispatcher.utter_message(response=response)
        summary = (
            f"Deepfake report: affected={affected or 'unknown'}; "
            f"content={content_kind or 'unknown'}; platform={platform or 'unknown'}"
        )
        return [
            SlotSet("affected", None),
            SlotSet("content_kind", None),
            SlotSet("platform", None),
            SlotSet("case_summary", summary),
        ]


def privacy_steps(dispatcher: CollectingDispatcher, platform: str | None) -> None:
    if platform in PLATFORMS or platform == "douyin":
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
        return [
            SlotSet(name, None)
            for name in ("has_crisis_team", "has_antibullying", "has_parent_comms", "has_staff_training")
        ]


class ActionResetFlow(Action):
    def name(self) -> str:
        return "action_reset_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return common.reset_flow_events()
