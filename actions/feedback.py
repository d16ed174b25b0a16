"""👍/👎 after an answer, stored per topic (no text) for the staff dashboard; spooled while the
database is down (safeshare/db/spool.py), so a vote is never lost."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from safeshare.db import spool

logger = logging.getLogger(__name__)


class ActionRecordFeedback(Action):
    def name(self) -> str:
        return "action_record_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        asked = common.last_topic_question(tracker)
        if asked is None:
            return []
        helpful = common.latest_intent(tracker) == "feedback_helpful"
        vote = spool.NewFeedback(
            topic=str(common.intent_of(asked)),
            helpful=helpful,
            language=common.language(tracker),
            channel=common.channel(tracker),
            sender_key=common.sender(tracker),
        )
        if not spool.submit_feedback(vote):
            spool.ensure_background_flush()
        return []
