"""The user chooses the reply language ("中文", "English please", /lang, the widget switch)."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from safeshare.language import detect

ENGLISH_WORDS = ("english", "英文", "英語", "英语")
CHINESE_WORDS = ("chinese", "cantonese", "中文", "廣東話", "广东话", "粵語", "粤语", "繁體", "繁体")


def requested_language(tracker: Tracker) -> str:
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "language_choice" and entity.get("value") in ("en", "zh"):
            return str(entity["value"])
    text = str(tracker.latest_message.get("text") or "").lower()
    if any(word in text for word in ENGLISH_WORDS):
        return "en"
    if any(word in text for word in CHINESE_WORDS):
        return "zh"
    return detect(text) or "en"


class ActionSetLanguage(Action):
    def name(self) -> str:
        return "action_set_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = requested_language(tracker)
        dispatcher.utter_message(response="utter_language_set", language=language)
        return [SlotSet("language_pref", language), SlotSet("language", language)]
