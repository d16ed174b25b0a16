"""The "More" / 「詳情」 button: the details behind a short answer, or the next step of a report.

Every answer starts short: `utter_<topic>` says the key point or action, with a "More" button
whose payload is `/more{"topic":"<topic>"}`; the rest of the facts and links are in
`utter_<topic>_more`. A typed "more" (no topic) continues a waiting report checklist first, else
gives the details of the latest answer that has them. When there is nothing more, the user is
told so and offered the menu.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.flows import say_next_report_group
from safeshare.responses import all_responses

SUFFIX = "_more"
NOTHING_MORE = "utter_more_none"


def response_names(domain: DomainDict) -> set[str]:
    """The responses Rasa can say: from the domain Rasa sent, else from data/responses."""
    names = set((domain or {}).get("responses") or {})
    return names or set(all_responses())


def topic_entity(tracker: Tracker) -> str | None:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "topic" and entity.get("value"):
            return str(entity["value"])
    return None


def _session_events(tracker: Tracker) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for event in tracker.events:
        if event.get("event") == "session_started":
            events = []
        else:
            events.append(event)
    return events


def details_of_latest_answer(tracker: Tracker, names: set[str]) -> str | None:
    """`utter_<x>_more` for the latest answer `utter_<x>` of this session that has details, unless
    those details were already given after it (then there is nothing more to say)."""
    given: set[str] = set()
    for event in reversed(_session_events(tracker)):
        if event.get("event") != "bot":
            continue
        said = str((event.get("metadata") or {}).get("utter_action") or "")
        if said.endswith(SUFFIX) and said in names:
            given.add(said)
            continue
        details = said + SUFFIX
        if said and details in names:
            return None if details in given else details
    return None


class ActionMoreDetails(Action):
    def name(self) -> str:
        return "action_more_details"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        names = response_names(domain)
        topic = topic_entity(tracker)
        if topic:
            details = f"utter_{topic}{SUFFIX}"
            dispatcher.utter_message(response=details if details in names else NOTHING_MORE)
            return []
        events = say_next_report_group(dispatcher, tracker)
        if events is not None:
            return events
        dispatcher.utter_message(response=details_of_latest_answer(tracker, names) or NOTHING_MORE)
        return []
