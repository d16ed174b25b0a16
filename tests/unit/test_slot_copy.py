"""`copy.copy` of a slot with `Slot.__copy__` (safeshare/rasa_ext/tracker_copy.py) gives what
Python's reduce protocol gives without it: for every slot of the domain, every Rasa slot class,
and slot classes that customise the protocol."""

from __future__ import annotations

import copy
import copyreg
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.slots import (
    AnySlot,
    BooleanSlot,
    CategoricalSlot,
    FloatSlot,
    ListSlot,
    Slot,
    TextSlot,
)

from safeshare.rasa_ext import tracker_copy
from safeshare.settings import PROJECT_ROOT


def described(slot: Any) -> tuple[type, dict[str, Any]]:
    return type(slot), dict(vars(slot))


def domain_slots() -> list[Slot]:
    domain = Domain.load([str(PROJECT_ROOT / "domain.yml"), str(PROJECT_ROOT / "data" / "responses")])
    return list(domain.slots)


def rasa_slots() -> list[Slot]:
    mappings = [{"type": "from_text"}]
    slots = [
        TextSlot("t", mappings, initial_value="x"),
        BooleanSlot("b", mappings, initial_value=True),
        FloatSlot("f", mappings, max_value=2.0, min_value=-1.0),
        ListSlot("l", mappings, initial_value=["a", "b"]),
        CategoricalSlot("c", mappings, values=["en", "zh"]),
        AnySlot("a", mappings, influence_conversation=False),
    ]
    slots[0].value = "set after"
    return slots


class WithState(TextSlot):
    """A slot class that keeps part of its state out of `__dict__` when copied."""

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "_value"}


class WithReduce(TextSlot):
    def __reduce_ex__(self, protocol: Any) -> Any:
        return (WithReduce, ("renamed", self.mappings))


class Registered(TextSlot):
    pass


class Slotted(TextSlot):
    """Part of its state in a slot, not in `__dict__`."""

    __slots__ = ("extra",)


def registered_copy(slot: Registered) -> Any:
    return (Registered, ("registered", slot.mappings))


def customised() -> list[Slot]:
    mappings = [{"type": "from_text"}]
    slots = [WithState("s", mappings), WithReduce("r", mappings), Registered("g", mappings)]
    slotted = Slotted("x", mappings)
    slotted.extra = "kept"
    slots.append(slotted)
    for slot in slots:
        slot.value = "v"
    return slots


@pytest.fixture()
def registered() -> Iterator[None]:
    copyreg.pickle(Registered, registered_copy)
    try:
        yield
    finally:
        del copyreg.dispatch_table[Registered]


def test_quick_copy_is_installed() -> None:
    tracker_copy.install()
    assert Slot.__copy__ is tracker_copy.copy_slot  # type: ignore[attr-defined]


def test_every_slot_copies_as_the_reduce_protocol_copies_it(registered: None) -> None:
    tracker_copy.install()
    slots = domain_slots() + rasa_slots() + customised()
    assert len(slots) > 10
    ours = [copy.copy(slot) for slot in slots]
    del Slot.__copy__
    try:
        theirs = [copy.copy(slot) for slot in slots]
    finally:
        tracker_copy.install()
    for slot, mine, reference in zip(slots, ours, theirs, strict=True):
        assert mine is not slot
        assert described(mine) == described(reference), slot.name
        assert all(mine.__dict__[k] is reference.__dict__[k] for k in mine.__dict__)  # shallow
    # the customised ones went the protocol's way
    state, reduced, registered_one, slotted = ours[-4:]
    assert "_value" not in vars(state) and reduced.name == "renamed" and registered_one.name == "registered"
    assert slotted.extra == "kept"


def test_only_plain_slot_classes_are_copied_quickly() -> None:
    assert all(tracker_copy.copyable_quickly(type(slot)) for slot in domain_slots() + rasa_slots())
    assert not any(tracker_copy.copyable_quickly(cls) for cls in (WithState, WithReduce, Slotted))


def test_a_copy_is_its_own() -> None:
    tracker_copy.install()
    slot = ListSlot("l", [{"type": "from_text"}], initial_value=[])
    slot.value = ["a"]
    copied = copy.copy(slot)
    copied.value = ["b"]
    assert slot.value == ["a"] and copied.value == ["b"]
