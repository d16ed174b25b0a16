"""Rasa's rule policy, checking only the rules that can still match.

To predict an action, `RulePolicy._get_possible_keys` filters its rule keys (483 in SafeShare: a
rule per topic, per topic during each form, ...) once per state of the conversation, newest
first: a rule is dropped if its state at that distance does not match the conversation's. Rasa
runs the full check for every key against every state, although

- against a state older than a rule's length (at most 4 states here) the check always keeps it;
- a rule whose state at that distance names a previous action or an intent other than the
  conversation's is always dropped (`RulePolicy._does_rule_match_state`).

Here the keys are indexed once by the previous action and the intent of each of their states,
so each distance checks only the rules that name the conversation's action and intent there (or
none), and the loop stops at the longest rule still possible. The full check runs on what is
left, so the same keys come out: tests/e2e/test_rule_policy.py compares both on every state of
every conversation test story (5,848 matchings: 2.4 s with Rasa's loop, 0.3 s here). In the
long-conversation benchmark, matching rule keys went from 13% of Rasa's CPU to under 0.1%
(docs/benchmarks.md, section 6).

The states themselves are built for the newest states only. Rasa's `_prediction_states` replays
the tracker and builds a state for every action of it, twice for the first prediction after a
message (once with the message's text, once with its intent), although no rule looks further
back than its own length. Here a state is built only for the last `reach` actions, where `reach`
is the longest rule key of either lookup table; the keys kept are the same, since against an older
state every key is kept anyway (above). The tracker is still replayed (the slots and the form at
each point depend on every event), but once per turn: the replay is kept, and the next prediction
of the same turn, whose tracker only has new events at its end, replays those alone (any other
change, such as a reverted event, replays from the start). That the new events are all applied
is read off the new events where it can be (`_Replay.added`: no restart, reverted event or form
execution among them), without working out the whole tracker's applied events again, and the
states handed to Rasa's featurizer are copied only as deep as it changes them. The test compares
whole predictions with Rasa's for every state of every conversation test story, predicted one
after another as in a conversation, and the applied events read off with Rasa's.
"""

from __future__ import annotations

import itertools
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME, INTENT

_original = RulePolicy._get_possible_keys
_original_prediction_states = RulePolicy._prediction_states
_installed = False


@dataclass
class _Index:
    """For one lookup table: each key's length, and per distance from the newest state the keys
    naming a given previous action / intent there, and those naming none."""

    lookup: dict[str, Any]
    lengths: dict[str, int] = field(default_factory=dict)
    by_action: list[dict[str, set[str]]] = field(default_factory=list)
    any_action: list[set[str]] = field(default_factory=list)
    by_intent: list[dict[str, set[str]]] = field(default_factory=list)
    any_intent: list[set[str]] = field(default_factory=list)
    longest: int = 0

    def add(self, key: str, states: list[dict[str, Any]]) -> None:
        self.lengths[key] = len(states)
        self.__dict__.pop("_up_to", None)
        self.longest = max(self.longest, len(states))
        for distance, state in enumerate(reversed(states)):
            while len(self.by_action) <= distance:
                self.by_action.append(defaultdict(set))
                self.any_action.append(set())
                self.by_intent.append(defaultdict(set))
                self.any_intent.append(set())
            action = _named(state, PREVIOUS_ACTION, ACTION_NAME)
            (self.by_action[distance][action] if action else self.any_action[distance]).add(key)
            # A rule state without a previous action matches a conversation state without one
            # whatever the intent (`RulePolicy._is_rule_applicable`): never ruled out by intent.
            intent = _named(state, USER, INTENT) if state.get(PREVIOUS_ACTION) else None
            (self.by_intent[distance][intent] if intent else self.any_intent[distance]).add(key)

    def up_to(self, distance: int) -> frozenset[str]:
        """The keys no longer than `distance` states."""
        shorter = self.__dict__.setdefault("_up_to", {})
        if distance not in shorter:
            shorter[distance] = frozenset(key for key, length in self.lengths.items() if length <= distance)
        return shorter[distance]

    def reachable(self, distance: int, state: dict[str, Any]) -> set[str]:
        """Keys whose state at `distance` may match `state` (the others cannot)."""
        action = _named(state, PREVIOUS_ACTION, ACTION_NAME)
        intent = _named(state, USER, INTENT)
        actions = self.any_action[distance] | self.by_action[distance].get(action or "", set())
        intents = self.any_intent[distance] | self.by_intent[distance].get(intent or "", set())
        return actions & intents


def _named(state: dict[str, Any], kind: str, attribute: str) -> str | None:
    """The value a rule state requires (None: it requires none, or requires it unset)."""
    value = (state.get(kind) or {}).get(attribute)
    return value if isinstance(value, str) and value and value != SHOULD_NOT_BE_SET else None


def _index(policy: RulePolicy, lookup: dict[str, Any]) -> _Index:
    """Built once per lookup table (they do not change once the policy is loaded)."""
    cache: dict[int, _Index] = policy.__dict__.setdefault("_safeshare_rule_index", {})
    index = cache.get(id(lookup))
    if index is None or index.lookup is not lookup or len(index.lengths) != len(lookup):
        index = _Index(lookup)
        for key in lookup:
            index.add(key, policy._rule_key_to_state(key))
        cache[id(lookup)] = index
    return index


def get_possible_keys(self: RulePolicy, lookup: dict[str, Any], states: list[dict[str, Any]]) -> set[str]:
    """`RulePolicy._get_possible_keys`, without the checks whose answer is known."""
    index = _index(self, lookup)
    possible_keys = set(lookup.keys())
    longest = index.longest
    for distance, state in enumerate(reversed(states)):
        if distance >= longest:
            break  # every key left is shorter than this: all are kept from here on
        shorter = possible_keys & index.up_to(distance)
        candidates = (possible_keys - shorter) & index.reachable(distance, state)
        kept = {key for key in candidates if self._is_rule_applicable(key, distance, state)}
        possible_keys = shorter | kept
        # the keys kept are longer than `distance`, the shorter ones are all kept from here on
        longest = max((index.lengths[key] for key in kept), default=distance)
    return possible_keys


def reach(policy: RulePolicy) -> int:
    """How many of the newest states any rule key of the policy looks at."""
    tables = (policy.lookup.get(RULES) or {}, policy.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH) or {})
    return max(_index(policy, lookup).longest for lookup in tables)


def recent_states(tracker: DialogueStateTracker, domain: Domain, keep: int) -> list[State]:
    """The last `keep` states of `tracker.past_states(domain)` (no turn ignored), built only for
    those: `Domain.states_for_tracker_history` replaying the tracker as it does."""
    return _Replay.start(tracker, domain, keep).states


@dataclass
class _Replay:
    """A tracker's applied events replayed, with the states before its last `keep` actions; kept
    between the predictions of one turn, which only add events to the same tracker."""

    tracker: weakref.ref
    domain: Domain
    keep: int
    applied: list[Any]
    replay: DialogueStateTracker
    before_actions: list[State]
    length: int = -1
    states: list[State] = field(default_factory=list)
    # The names of the forms any `ActiveLoop` of the tracker named, and its last event seen.
    loop_names: frozenset[str] = frozenset()
    last: Any = None

    @classmethod
    def start(cls, tracker: DialogueStateTracker, domain: Domain, keep: int) -> _Replay:
        replay = cls(weakref.ref(tracker), domain, keep, [], tracker.init_copy(), [])
        replay.advance(tracker, tracker.applied_events())
        return replay

    def continues(self, tracker: DialogueStateTracker, domain: Domain, keep: int, applied: list[Any]) -> bool:
        """Whether `applied` is what this replay has seen, followed by new events only."""
        return (
            self.tracker() is tracker
            and self.domain is domain
            and self.keep == keep
            and len(applied) >= len(self.applied)
            and all(old is new for old, new in zip(self.applied, applied[: len(self.applied)], strict=True))
        )

    def added(self, tracker: DialogueStateTracker) -> list[Any] | None:
        """The events logged on `tracker` since this replay saw it, when its applied events are
        those seen followed by these (`DialogueStateTracker.applied_events` keeps every event but
        for a restart, a session start, a reverted action or message, a form's repeated execution,
        and earlier events are affected only when a new form name appears); None otherwise, or if
        the events seen are not the tracker's first ones any more."""
        events = tracker.events
        if self.tracker() is not tracker or self.length <= 0 or len(events) < self.length:
            return None
        if events[self.length - 1] is not self.last:
            return None
        new = list(itertools.islice(events, self.length, None))
        for event in new:
            if isinstance(event, _STARTS_OVER_OR_UNDOES):
                return None
            if isinstance(event, ActiveLoop) and event.name and event.name not in self.loop_names:
                return None
            if isinstance(event, ActionExecuted) and event.action_name in self.loop_names:
                return None
        return new

    def advance(self, tracker: DialogueStateTracker, applied: list[Any], new_loops: bool = True) -> None:
        """Replay the events after those seen so far, building the states that can be kept."""
        new = applied[len(self.applied) :]
        actions = sum(1 for event in new if isinstance(event, ActionExecuted))
        skip = max(0, actions - self.keep)
        seen = 0
        for event in new:
            if isinstance(event, ActionExecuted):
                if seen >= skip:
                    self.before_actions.append(self.domain.get_active_state(self.replay))
                seen += 1
            self.replay.update(event)
        self.before_actions = self.before_actions[-self.keep :]
        self.applied = list(applied)
        self.length = len(tracker.events)
        self.last = tracker.events[-1] if tracker.events else None
        if new_loops:
            self.loop_names = frozenset(
                e.name for e in tracker.events if isinstance(e, ActiveLoop) and e.name
            )
        self.states = (self.before_actions + [self.domain.get_active_state(self.replay)])[-self.keep :]


_STARTS_OVER_OR_UNDOES = (Restarted, SessionStarted, ActionReverted, UserUtteranceReverted)


def _copy_states(states: list[State]) -> list[State]:
    """A copy of `states` that Rasa's featurizer may change: it only deletes keys of a state's
    user part (`_choose_last_user_input`, `_remove_user_text_if_intent`), so each state and its
    user part are copied and the rest (previous action, slots, form) shared."""
    return [{key: dict(value) if key == USER else value for key, value in state.items()} for state in states]


def prediction_states(
    self: RulePolicy,
    tracker: DialogueStateTracker,
    domain: Domain,
    use_text_for_last_user_input: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """`Policy._prediction_states` for the rule policy: the states its rules can reach, carried
    on from the previous prediction of the same turn (module docstring)."""
    featurizer = self.featurizer
    if type(featurizer) is not MaxHistoryTrackerFeaturizer or featurizer.max_history is not None:
        return _original_prediction_states(
            self, tracker, domain, use_text_for_last_user_input, rule_only_data
        )
    keep = reach(self)
    replay: _Replay | None = self.__dict__.get("_safeshare_replay")
    same = replay is not None and replay.tracker() is tracker and replay.length == len(tracker.events)
    if replay is None or not same or replay.keep != keep or replay.domain is not domain:
        added = (
            replay.added(tracker)
            if replay is not None and replay.keep == keep and replay.domain is domain
            else None
        )
        if replay is not None and added is not None:
            replay.advance(tracker, replay.applied + added, new_loops=False)
        else:
            applied = tracker.applied_events()
            if replay is not None and replay.continues(tracker, domain, keep, applied):
                replay.advance(tracker, applied)
            else:
                replay = _Replay.start(tracker, domain, keep)
                self.__dict__["_safeshare_replay"] = replay
    states = _copy_states(replay.states)
    # What Rasa's featurizer does after building the states (MaxHistoryTrackerFeaturizer without a
    # max history slices nothing; the rule policy keeps `action_unlikely_intent` states).
    featurizer._choose_last_user_input([states], use_text_for_last_user_input)
    return states


def install() -> None:
    """Replace `RulePolicy._get_possible_keys` and `_prediction_states` once per process
    (idempotent)."""
    global _installed
    if not _installed:
        RulePolicy._get_possible_keys = get_possible_keys  # type: ignore[method-assign]
        RulePolicy._prediction_states = prediction_states  # type: ignore[method-assign]
        _installed = True
