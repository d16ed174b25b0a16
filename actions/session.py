"""A new conversation session keeps the language and says the staff answers that are waiting.

Waiting answers are said here for the widget and for REST clients; Telegram answers are not: the
staff console sends those to the user's chat itself through the Bot API (safeshare.delivery), and
the Telegram relay only carries the conversation.

Rasa runs this action by itself when a conversation (or a new session after an idle hour) starts,
before it handles the message: then it says nothing of its own. A user who sends `/session_start`
asks for it outright, and is greeted, so the request is not met with silence.
"""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from safeshare import inquiries
from safeshare.db import repository
from safeshare.db.session import session_scope
from safeshare.errors import StoreUnavailable

logger = logging.getLogger(__name__)
CARRIED = ("language", "language_pref")


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        events += [SlotSet(name, tracker.get_slot(name)) for name in CARRIED if tracker.get_slot(name)]
        try:
            with session_scope() as session:
                for inquiry in repository.undelivered_answers(session, common.sender(tracker)):
                    if inquiries.delivered_from_console(inquiry.channel):
                        continue  # the console sent it to the Telegram chat (safeshare.delivery)
                    if common.say_staff_answer(dispatcher, inquiry):
                        repository.mark_delivered(session, inquiry)
        except StoreUnavailable:
            logger.warning("could not check for waiting staff answers: database unavailable")
        if (tracker.latest_message or {}).get("intent", {}).get("name") == "session_start":
            dispatcher.utter_message(response="utter_greet")
        events.append(ActionExecuted("action_listen"))
        return events
