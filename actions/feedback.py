"""👍/👎 after an answer, stored per topic (no text) for the staff dashboard."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import DBAPIError, OperationalError

from actions import common
from safeshare.db import repository
from safeshare.db.session import session_scope

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
        try:
            with session_scope() as session:
                repository.record_feedback(
                    session,
                    topic=str(common.intent_of(asked)),
                    helpful=helpful,
                    language=common.language(tracker),
                    channel=common.channel(tracker),
                    sender=common.sender(tracker),
                )
        except (OperationalError, DBAPIError):
            logger.warning("feedback not stored: the database is unavailable")
        return []
