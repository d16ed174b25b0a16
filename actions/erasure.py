"""Erase what SafeShare keeps about the user, after they confirmed.

This action deletes inquiries (and their notes), feedback and spooled inquiries of this sender;
the tracker store sees this action in the turn and deletes the conversation's events instead of
saving them (`safeshare.rasa_ext.tracker_store`).
"""

from __future__ import annotations

import json
import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from safeshare.db import repository, spool
from safeshare.db.session import session_scope
from safeshare.errors import StoreUnavailable

logger = logging.getLogger(__name__)


class ActionForgetMyData(Action):
    def name(self) -> str:
        return "action_forget_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        sender = common.sender(tracker)
        spooled = {"inquiries": 0, "feedback": 0}
        for path in spool.pending():
            if json.loads(path.read_text(encoding="utf-8")).get("sender_key") == sender:
                path.unlink()
                spooled["feedback" if path.name.startswith("FB-") else "inquiries"] += 1
        try:
            with session_scope() as session:
                counts = repository.erase_sender(session, sender)
        except StoreUnavailable:
            logger.error("erasure could not reach the inquiry database")
            dispatcher.utter_message(response="utter_error")
            return []
        dispatcher.utter_message(
            response="utter_forget_done",
            inquiries=counts["inquiries"] + spooled["inquiries"],
            feedback=counts["feedback"] + spooled["feedback"],
        )
        return common.reset_flow_events()
