"""Every conversation test story (tests/stories/), replayed through the tracker store with the
smallest window there is, predicts what it predicts with the whole history in memory.

A turn loads only its last turns and the state before them (safeshare/rasa_ext/tracker_store.py);
this checks the claim that the dialogue cannot tell, with the real trained model: each story is
played after a few ordinary turns, turn by turn as Rasa's processor does (load from the store,
add the turn, save), with `window_turns=1` (the turn before the current one, and the state
before that), so the window's start moves through every flow, digression, escalation and erasure
of the stories. Before every action of a story the windowed tracker and a tracker holding the
whole conversation must agree on the prediction (action, policy, confidence, events) and on the
state (slots as stored, active form and whether it was rejected, latest action, follow-up action,
latest intent, pause). A form rejected by the user's answer is emulated as `rasa test core` does.
The negative control: the same window without the state put back (what Rasa's
`max_event_history` gives) is caught.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.test import _create_data_generator, _form_might_have_been_rejected, emulate_loop_rejection
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from safeshare.rasa_ext import tracker_store
from safeshare.rasa_ext.tracker_store import PrivateSQLTrackerStore, stored_slot_value
from safeshare.settings import PROJECT_ROOT
from tests.helpers import REPORTS

pytestmark = pytest.mark.model

STORIES = PROJECT_ROOT / "tests" / "stories"
FILLER_TURNS = 3


@pytest.fixture(scope="module")
def agent(trained_model: Path) -> Iterator[Any]:
    from rasa.core.agent import load_agent

    from safeshare.rasa_ext import server

    server.install()
    yield asyncio.run(load_agent(model_path=str(trained_model)))


@pytest.fixture(scope="module")
def stories(agent: Any) -> list[DialogueStateTracker]:
    trackers = _create_data_generator(str(STORIES), agent).generate_story_trackers()
    assert len(trackers) >= 50
    return trackers


def _filler() -> list[Event]:
    """An ordinary turn: a topic question, its answer and the feedback question."""
    return [
        UserUttered("what is a deepfake?", intent={"name": "deepfake_explained", "confidence": 0.99}),
        ActionExecuted("utter_deepfake_explained"),
        BotUttered("A deepfake is ..."),
        ActionExecuted("utter_ask_feedback"),
        BotUttered("Was this helpful?"),
        ActionExecuted("action_listen"),
    ]


def _prediction(processor: Any, tracker: DialogueStateTracker) -> tuple:
    action, prediction = processor.predict_next_with_tracker_if_should(tracker)
    return (
        action.name(),
        prediction.policy_name,
        round(prediction.max_confidence, 6),
        [e.as_dict() | {"timestamp": None} for e in prediction.events],
    )


def _state(tracker: DialogueStateTracker) -> dict[str, Any]:
    loop = tracker.active_loop
    return {
        "slots": {k: stored_slot_value(k, v) for k, v in tracker.current_slot_values().items()},
        "active_loop": loop.name if loop else None,
        "rejected": bool(loop and loop.rejected),
        "latest_action": tracker.latest_action_name,
        "followup": tracker.followup_action,
        "intent": (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None,
        "paused": tracker.is_paused(),
    }


async def replay(
    agent: Any,
    story: DialogueStateTracker,
    store: PrivateSQLTrackerStore,
    sender: str,
    counts: Counter | None = None,
) -> list[str]:
    """Plays the story; the differences between the windowed and the whole-history tracker."""
    processor, domain = agent.processor, agent.domain
    events = [ActionExecuted("action_listen")] + _filler() * FILLER_TURNS + list(story.events)[1:]
    whole = DialogueStateTracker(sender, domain.slots)
    windowed = DialogueStateTracker(sender, domain.slots)
    differences: list[str] = []
    for index, event in enumerate(events):
        if isinstance(event, UserUttered):
            await store.save(windowed)
            loaded = await store.retrieve(sender)
            if loaded is None:
                # Erased (action_forget_my_data): the next message starts a new conversation, as
                # it always did; the whole-history tracker has nothing left to be compared with.
                return differences
            windowed = loaded
        if isinstance(event, ActionExecuted) and index > 1 + 6 * FILLER_TURNS:
            where = f"{story.sender_id!r}, before {event.action_name} (event {index})"
            if counts is not None:
                counts["predictions"] += 1
            expected = _prediction(processor, whole)
            if expected != _prediction(processor, windowed):
                differences.append(f"{where}: {expected} != {_prediction(processor, windowed)}")
            if expected[0] != event.action_name and _form_might_have_been_rejected(
                domain, whole, expected[0]
            ):
                emulate_loop_rejection(whole)
                emulate_loop_rejection(windowed)
                if _prediction(processor, whole) != _prediction(processor, windowed):
                    differences.append(f"{where}, form rejected: predictions differ")
            if _state(whole) != _state(windowed):
                differences.append(f"{where}: {_state(whole)} != {_state(windowed)}")
        whole.update(event)
        windowed.update(event)
    await store.save(windowed)
    return differences


async def test_stories_predict_the_same_through_a_window_of_one_turn(
    agent: Any, stories: list[DialogueStateTracker], tmp_path: Path
) -> None:
    store = PrivateSQLTrackerStore(
        domain=agent.domain, url=f"sqlite:///{tmp_path / 'tracker.db'}", window_turns=1
    )
    differences: list[str] = []
    cut = 0
    counts: Counter = Counter()
    for number, story in enumerate(stories):
        differences += await replay(agent, story, store, f"story-{number}", counts)
        loaded = await store.retrieve(f"story-{number}")
        whole = await store.retrieve_full_tracker(f"story-{number}")
        cut += loaded is not None and whole is not None and len(loaded.events) < len(whole.events)
    assert not differences, "\n".join(differences[:20])
    # The window was really cut (erased conversations excepted).
    assert cut >= len(stories) // 2
    REPORTS.append(
        f"windowed tracker (1 turn): {counts['predictions']} predictions in {len(stories)} stories "
        f"identical to the whole history; {cut} conversations ended with a cut window"
    )


async def test_a_window_without_the_state_put_back_is_caught(
    agent: Any, stories: list[DialogueStateTracker], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracker_store, "events_restoring", lambda state, timestamp: [])
    store = PrivateSQLTrackerStore(
        domain=agent.domain, url=f"sqlite:///{tmp_path / 'tracker.db'}", window_turns=1
    )
    differences: list[str] = []
    for number, story in enumerate(stories[:20]):
        differences += await replay(agent, story, store, f"story-{number}")
    # Slots set before the window are lost, and with an active form the dialogue goes astray.
    assert any("'slots'" in d for d in differences), differences[:5]
    assert any(" != (" in d for d in differences), differences[:5]
