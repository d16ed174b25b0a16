"""A tracker's copy made from its state, not by replaying its events.

Rasa copies the tracker before every action it runs (`MessageProcessor._run_action`, so that a
rejected action's events can be thrown away), and `DialogueStateTracker.copy` makes the copy by
replaying every event of the tracker into a new one: in a turn of the windowed tracker store that
is a few dozen events, two or three times per message, ~5% of Rasa's CPU per message.

A tracker's state is what replaying its events gives (Rasa keeps it so: every change goes
through an event), so the copy takes the state as it is: the same events, each slot copied, the
active loop and the latest action copied, the rest shared as the replay would share it (events
are never changed once logged). What the replay leaves out stays out: the copy has no
`sender_source`, `model_id` or `assistant_id`. A tracker whose slots are made on demand
(`AnySlotDict`, a tracker without a domain), one that has dropped events to a cap on its history
(its state came partly from events it no longer holds) and a subclass are copied Rasa's way.
tests/unit/test_tracker_copy.py compares both copies, attribute by attribute, at every state of
every conversation test story.
"""

from __future__ import annotations

import copy
from collections import deque

from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.trackers import AnySlotDict, DialogueStateTracker

_original = DialogueStateTracker.copy


def copy_tracker(self: DialogueStateTracker) -> DialogueStateTracker:
    """`DialogueStateTracker.copy`, from the state instead of a replay (the same result)."""
    capped = self._max_event_history is not None and len(self.events) >= self._max_event_history
    if capped or type(self) is not DialogueStateTracker or isinstance(self.slots, AnySlotDict):
        # events dropped by the cap may have made the state; other trackers have other fields
        return _original(self)
    new = DialogueStateTracker.__new__(DialogueStateTracker)
    new._max_event_history = self._max_event_history
    new.events = deque(self.events, self._max_event_history)
    new.sender_id = self.sender_id or DEFAULT_SENDER_ID
    new.slots = {name: copy.copy(slot) for name, slot in self.slots.items()}
    new.sender_source = None
    new.is_rule_tracker = self.is_rule_tracker
    new.model_id = None
    new.assistant_id = None
    new._paused = self._paused
    new.latest_action = dict(self.latest_action)
    new.latest_message = self.latest_message
    new.latest_bot_utterance = self.latest_bot_utterance
    new.followup_action = self.followup_action
    new.active_loop = copy.copy(self.active_loop)  # a small dataclass, changed in place by events
    return new


def install() -> None:
    DialogueStateTracker.copy = copy_tracker  # type: ignore[method-assign]
