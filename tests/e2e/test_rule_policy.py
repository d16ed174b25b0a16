"""The rule policy's shortcut (safeshare/rasa_ext/rule_policy.py) keeps exactly the rule keys
Rasa's own matching keeps, for the trained model's rules and every state of every conversation
test story, played as it is (the conversation's first state is within reach of the rules) and
after a long conversation (many states older than any rule).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
