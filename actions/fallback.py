"""Low NLU confidence: offer the likeliest topics; a second miss in a row goes to staff."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from safeshare.catalogue import is_answer_topic, topics

MAX_SUGGESTIONS = 3


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
        catalogue = topics()
        buttons = [
            {"title": catalogue[item["name"]].title(language), "payload": f"/{item['name']}"}
            for item in tracker.latest_message.get("intent_ranking", [])
            if is_answer_topic(item.get("name"))
        ][:MAX_SUGGESTIONS]
        buttons.append({"title": catalogue["human_handoff"].title(language), "payload": "/human_handoff"})
        dispatcher.utter_message(response="utter_fallback", buttons=buttons)
        return []
