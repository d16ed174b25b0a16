"""When the assistant is unsure or the question is outside its job: offer the likeliest topics.

Low NLU confidence gets "did you mean" with the three likeliest topics; a second miss in a row
goes to staff. An out-of-scope question gets what the assistant can help with, the three
likeliest topics and the menu, never a bare refusal: a worried person who phrased a real
question oddly can still find the answer in one tap.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from safeshare.catalogue import is_answer_topic, topics

MAX_SUGGESTIONS = 3


def suggestions(tracker: Tracker, language: str) -> list[dict[str, str]]:
    """Buttons for the three likeliest answer topics of the latest message."""
    catalogue = topics()
    return [
        {"title": catalogue[item["name"]].title(language), "payload": f"/{item['name']}"}
        for item in tracker.latest_message.get("intent_ranking", [])
        if is_answer_topic(item.get("name"))
    ][:MAX_SUGGESTIONS]


class ActionFallback(Action):
    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        turns = common.user_turns(tracker)
        if len(turns) >= 2 and common.intent_of(turns[-2]) == "nlu_fallback":
            return [FollowupAction("action_start_escalation")]
        language = common.language(tracker)
        buttons = suggestions(tracker, language)
        buttons.append({"title": topics()["human_handoff"].title(language), "payload": "/human_handoff"})
        dispatcher.utter_message(response="utter_fallback", buttons=buttons)
        return []


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = common.language(tracker)
        buttons = suggestions(tracker, language)
        buttons.append({"title": topics()["help"].title(language), "payload": "/help"})
        dispatcher.utter_message(response="utter_out_of_scope", buttons=buttons)
        return []
