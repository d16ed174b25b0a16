from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from safeshare.settings import get_settings


@pytest.fixture(autouse=True)
def migrated_store():
    """The run's SQLite inquiry store, with the schema applied."""
    from safeshare.db.migrate import upgrade
    from safeshare.db.session import engine_for

    upgrade(get_settings().database_url)
    yield
    engine_for.cache_clear()


def user(text: str, intent: str, confidence: float = 0.9, ranking=None, entities=None, metadata=None):
    return {
        "event": "user",
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
            "entities": entities or [],
        },
        "metadata": metadata or {},
        "input_channel": "rest",
    }


def bot(text: str) -> dict:
    return {"event": "bot", "text": text}


def action(name: str) -> dict:
    return {"event": "action", "name": name}


def make_tracker(events: list[dict], slots: dict | None = None, sender: str = "test-user") -> Tracker:
    latest = next((e for e in reversed(events) if e["event"] == "user"), {})
    latest_message = dict(latest.get("parse_data") or {})
    latest_message["metadata"] = latest.get("metadata", {})
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message=latest_message,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name=None,
    )


@pytest.fixture()
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("response") for m in dispatcher.messages]
