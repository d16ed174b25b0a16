"""The rule policy's shortcuts (safeshare/rasa_ext/rule_policy.py) give Rasa's results, for the
trained model's rules and every state of every conversation test story, played as it is (the
conversation's first state is within reach of the rules) and after a long conversation (many
states older than any rule):

- the rule keys kept are exactly the keys Rasa's own matching keeps;
- the states built for the newest actions only are the tail of Rasa's states, and the whole
  prediction (probabilities, events, flags) is Rasa's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.core.test import _create_data_generator
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from safeshare.rasa_ext import rule_policy
from safeshare.settings import PROJECT_ROOT
from tests.helpers import REPORTS

pytestmark = pytest.mark.model

STORIES = PROJECT_ROOT / "tests" / "stories"


@pytest.fixture(scope="module")
def agent(trained_model: Path) -> Iterator[Any]:
    from rasa.core.agent import load_agent

    yield asyncio.run(load_agent(model_path=str(trained_model)))


def _policy(agent: Any) -> RulePolicy:
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    return next(node._component for node in nodes if isinstance(node._component, RulePolicy))


def _long_start(turns: int) -> list[Any]:
    turn = [
        UserUttered("what is a deepfake?", intent={"name": "deepfake_explained", "confidence": 0.99}),
        ActionExecuted("utter_deepfake_explained"),
        BotUttered("A deepfake is ..."),
        ActionExecuted("utter_ask_feedback"),
        ActionExecuted("action_listen"),
    ]
    return [ActionExecuted("action_listen")] + turn * turns


def test_the_same_keys_as_rasa_for_every_state_of_every_story(agent: Any) -> None:
    policy, domain = _policy(agent), agent.domain
    stories = _create_data_generator(str(STORIES), agent).generate_story_trackers()
    assert len(policy.lookup[RULES]) > 300
    checked, spent = 0, {"rasa": 0.0, "shortcut": 0.0}
    for story, turns_before in [(story, turns) for story in stories for turns in (0, 20)]:
        tracker = DialogueStateTracker.from_events(story.sender_id, _long_start(turns_before), domain.slots)
        for event in list(story.events)[1:]:
            if isinstance(event, ActionExecuted):
                for use_text in (True, False):
                    states = policy._prediction_states(
                        tracker, domain, use_text, rule_only_data=policy._get_rule_only_data()
                    )
                    for table in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
                        lookup = policy.lookup[table]
                        started = time.perf_counter()
                        expected = rule_policy._original(policy, lookup, states)
                        spent["rasa"] += time.perf_counter() - started
                        started = time.perf_counter()
                        assert rule_policy.get_possible_keys(policy, lookup, states) == expected
                        spent["shortcut"] += time.perf_counter() - started
                        checked += 1
            tracker.update(event)
    assert checked > 2000
    REPORTS.append(
        f"rule keys: {checked} matchings ({len(policy.lookup[RULES])} rules, 0 or 20 turns before), "
        f"Rasa {spent['rasa']:.1f} s, shortcut {spent['shortcut']:.1f} s, the same keys"
    )


def _prediction(policy: RulePolicy, tracker: DialogueStateTracker, domain: Any, shortcut: bool) -> tuple:
    states = rule_policy.prediction_states if shortcut else rule_policy._original_prediction_states
    keys = rule_policy.get_possible_keys if shortcut else rule_policy._original
    with (
        mock.patch.object(RulePolicy, "_prediction_states", states),
        mock.patch.object(RulePolicy, "_get_possible_keys", keys),
    ):
        started = time.perf_counter()
        first = policy.predict_action_probabilities(tracker, domain)
        again = policy.predict_action_probabilities(tracker, domain)  # the shortcut's cached states
        spent = time.perf_counter() - started
        # The rule each lookup found (its key, not only its action), from the text and the intent.
        rules = [policy._find_action_from_rules(tracker, domain, use_text) for use_text in (True, False)]
    outcome = [
        (
            p.probabilities,
            [e.as_dict() for e in p.events],
            p.is_end_to_end_prediction,
            p.is_no_user_prediction,
            p.hide_rule_turn,
            p.policy_name,
        )
        for p in (first, again)
    ]
    assert outcome[0] == outcome[1]
    found = [(action, source if action else None, returning) for action, source, returning in rules]
    return (outcome[0], found), spent


def test_states_of_the_newest_actions_give_rasas_prediction_for_every_state_of_every_story(
    agent: Any,
) -> None:
    policy, domain = _policy(agent), agent.domain
    reach = rule_policy.reach(policy)
    assert 2 <= reach <= 8
    stories = _create_data_generator(str(STORIES), agent).generate_story_trackers()
    checked, predicted, spent = 0, set(), {"rasa": 0.0, "shortcut": 0.0}
    starts = mock.patch.object(rule_policy._Replay, "start", wraps=rule_policy._Replay.start)
    original_added = rule_policy._Replay.added
    shortcuts: list[bool] = []

    def added_checked(replay: Any, tracker: DialogueStateTracker) -> list[Any] | None:
        """The events the replay takes as added: with those before, Rasa's applied events."""
        added = original_added(replay, tracker)
        shortcuts.append(added is not None)
        if added is not None:
            expected = tracker.applied_events()
            assert len(replay.applied + added) == len(expected)
            assert all(a is b for a, b in zip(replay.applied + added, expected, strict=True))
        return added

    with starts as replays_started, mock.patch.object(rule_policy._Replay, "added", added_checked):
        for story, turns_before in [(story, turns) for story in stories for turns in (0, 20)]:
            # One tracker per story, predicted after each action as in a conversation: the replay
            # of one prediction is carried on by the next.
            tracker = DialogueStateTracker.from_events(
                story.sender_id, _long_start(turns_before), domain.slots
            )
            for event in list(story.events)[1:]:
                if isinstance(event, ActionExecuted):
                    full = tracker.past_states(domain)
                    expected, spent_rasa = _prediction(policy, tracker, domain, shortcut=False)
                    actual, spent_shortcut = _prediction(policy, tracker, domain, shortcut=True)
                    assert actual == expected, (story.sender_id, event)
                    assert policy.__dict__["_safeshare_replay"].states == full[-reach:]
                    spent["rasa"] += spent_rasa
                    spent["shortcut"] += spent_shortcut
                    probabilities = actual[0][0]
                    best = max(range(len(probabilities)), key=probabilities.__getitem__)
                    predicted.add(domain.action_names_or_texts[best])
                    checked += 1
                tracker.update(event)
        started = replays_started.call_count
    assert checked > 1000
    # Not a trivial agreement: the rules predicted many different actions, forms included.
    assert len(predicted) > 30 and "report_deepfake_form" in predicted
    # Most predictions carried the previous replay on; each story starts one, and so does an
    # event that changes what came before (a reverted message, a form's repeated execution).
    assert started < checked / 4, (started, checked)
    # and most of those carried on without working out the applied events again
    assert sum(shortcuts) > 0.6 * len(shortcuts) and not all(shortcuts), (sum(shortcuts), len(shortcuts))
    # A replay started afresh gives the same states.
    tracker = DialogueStateTracker.from_events("fresh", _long_start(3), domain.slots)
    assert rule_policy.recent_states(tracker, domain, reach) == tracker.past_states(domain)[-reach:]
    REPORTS.append(
        f"rule policy states: {checked} predictions (reach {reach} states, 0 or 20 turns before), "
        f"Rasa {spent['rasa']:.1f} s, newest states only, replays carried on {spent['shortcut']:.1f} s "
        f"({started} replays started), the same predictions"
    )
