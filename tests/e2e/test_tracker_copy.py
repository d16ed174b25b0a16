"""A tracker's copy from its state (safeshare/rasa_ext/tracker_copy.py) is Rasa's copy by replay,
attribute by attribute, at every state of every conversation test story (forms, slots, pauses,
fallbacks, digressions), and it is a copy: changing it leaves the tracker as it was.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.test import _create_data_generator
from rasa.shared.core.events import ActiveLoop, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from safeshare.rasa_ext import tracker_copy
from safeshare.settings import PROJECT_ROOT

pytestmark = pytest.mark.model

STORIES = PROJECT_ROOT / "tests" / "stories"


@pytest.fixture(scope="module")
def agent(trained_model: Path) -> Iterator[Any]:
    from rasa.core.agent import load_agent

    yield asyncio.run(load_agent(model_path=str(trained_model)))


def _latest(event: Any) -> dict[str, Any]:
    # before the first message the replay makes new empty placeholders, stamped when it runs
    placeholder = event.text is None and not event.as_dict().get("parse_data", {}).get("intent")
    return {k: v for k, v in event.as_dict().items() if not (placeholder and k == "timestamp")}


def _state(tracker: DialogueStateTracker) -> dict[str, Any]:
    fields = dict(vars(tracker))
    fields["events"] = (list(tracker.events), tracker.events.maxlen)
    fields["slots"] = {name: (type(slot), vars(slot)) for name, slot in tracker.slots.items()}
    fields["latest_message"] = _latest(tracker.latest_message)
    fields["latest_bot_utterance"] = _latest(tracker.latest_bot_utterance)
    return fields


def test_the_copy_is_rasas_at_every_state_of_every_story(agent: Any) -> None:
    stories = _create_data_generator(str(STORIES), agent).generate_story_trackers()
    checked = 0
    for story in stories:
        tracker = DialogueStateTracker.from_events(story.sender_id, [], agent.domain.slots)
        tracker.model_id, tracker.assistant_id = "model", "assistant"
        tracker.sender_source = "stories"
        for event in story.events:
            tracker.update(event)
            expected = tracker_copy._original(tracker)
            actual = tracker_copy.copy_tracker(tracker)
            assert actual is not tracker
            assert _state(actual) == _state(expected), (story.sender_id, event)
            checked += 1
    assert checked > 1000


def test_changing_the_copy_leaves_the_tracker_alone(agent: Any) -> None:
    tracker = DialogueStateTracker.from_events("someone", [], agent.domain.slots)
    tracker.update(SlotSet("language", "zh"))
    tracker.update(ActiveLoop("report_deepfake_form"))
    before = _state(tracker)
    duplicate = tracker_copy.copy_tracker(tracker)
    duplicate.update(SlotSet("language", "en"))
    duplicate.update(ActiveLoop(None))
    duplicate.latest_action["action_name"] = "changed"
    assert _state(tracker) == before
    assert tracker.get_slot("language") == "zh" and tracker.active_loop_name == "report_deepfake_form"


def test_a_capped_tracker_is_copied_by_replay(agent: Any) -> None:
    tracker = DialogueStateTracker.from_events("someone", [], agent.domain.slots, max_event_history=2)
    for value in ("zh", "en", "zh"):
        tracker.update(SlotSet("language", value))
    assert _state(tracker_copy.copy_tracker(tracker)) == _state(tracker_copy._original(tracker))
