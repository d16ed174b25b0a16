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
tests/e2e/test_tracker_copy.py compares both copies, attribute by attribute, at every state of
every conversation test story.

Slots are copied with `copy.copy` wherever Rasa makes a tracker (every tracker it builds or copies
copies every slot of the domain: ~100 slot copies per message here), which goes through the
generic `__reduce_ex__` protocol. `Slot.__copy__` here does what that protocol does for a slot (a
new object of the same class with the same attribute dictionary, values shared) directly, for
slot classes that customise none of that protocol (`copyable_quickly`); tests/unit/test_slot_copy.py
compares both copies for every slot class and every slot of the domain.
"""

from __future__ import annotations

import copy
import copyreg
from collections import deque
from typing import Any

from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import AnySlotDict, DialogueStateTracker

_original = DialogueStateTracker.copy
# What a class may define to change what `copy.copy` does through the reduce protocol.
_PROTOCOL = ("__reduce_ex__", "__reduce__", "__getstate__", "__setstate__", "__copy__")


def copyable_quickly(cls: type) -> bool:
    """Whether `copy.copy` copies instances of `cls` as a new object with the same `__dict__`: no
    class between it and `object` customises the reduce protocol, and no slot holds state outside
    `__dict__` (`ABC`'s empty `__slots__` holds none)."""
    for klass in cls.__mro__:
        if klass is object:
            continue
        for name in _PROTOCOL:
            if name in vars(klass) and not (klass is Slot and name == "__copy__"):
                return False
    return not copyreg._slotnames(cls)  # type: ignore[attr-defined]


_quick: dict[type, bool] = {}


def copy_slot(self: Slot) -> Slot:
    """`copy.copy(slot)`: what the reduce protocol builds, without going through it."""
    cls = type(self)
    quick = _quick.get(cls)
    if quick is None:
        quick = _quick[cls] = copyable_quickly(cls)
    if not quick or cls in copyreg.dispatch_table:
        return _reduce_copy(self)
    new = cls.__new__(cls)
    new.__dict__.update(self.__dict__)
    return new


def _reduce_copy(x: Any) -> Any:
    """`copy.copy` for an instance whose class has no `__copy__` of its own: the reduce protocol."""
    reductor = copyreg.dispatch_table.get(type(x))
    rv = reductor(x) if reductor is not None else x.__reduce_ex__(4)
    if isinstance(rv, str):
        return x
    return copy._reconstruct(x, None, *rv)  # type: ignore[attr-defined]


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
    Slot.__copy__ = copy_slot  # type: ignore[attr-defined]
