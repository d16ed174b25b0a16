"""The trained model's graph run node after node (safeshare/rasa_ext/graph_runner.py) gives what
Rasa's dask runner gives: the same parse of every development message and odd input, the same
prediction at every state of every conversation test story. Both runners share the loaded
components, so only the running differs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import rasa.core.processor
from rasa.core.channels.channel import UserMessage
from rasa.core.test import _create_data_generator
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

from safeshare.rasa_ext.graph_runner import SequentialGraphRunner
from safeshare.settings import PROJECT_ROOT
from tests.helpers import ODD_TEXTS, REPORTS, dev_texts

pytestmark = pytest.mark.model

STORIES = PROJECT_ROOT / "tests" / "stories"


@pytest.fixture(scope="module")
def agent(trained_model: Path) -> Iterator[Any]:
    from rasa.core.agent import load_agent

    with mock.patch.object(rasa.core.processor, "DaskGraphRunner", SequentialGraphRunner):
        loaded = asyncio.run(load_agent(model_path=str(trained_model)))
    assert type(loaded.processor.graph_runner) is SequentialGraphRunner
    yield loaded


def _runners(agent: Any) -> dict[str, Any]:
    sequential = agent.processor.graph_runner
    dask_runner = object.__new__(DaskGraphRunner)
    dask_runner.__dict__.update({k: v for k, v in sequential.__dict__.items() if k != "_plans"})
    return {"dask": dask_runner, "sequential": sequential}


def test_the_same_parse_for_every_development_message_and_odd_input(agent: Any) -> None:
    runners, processor = _runners(agent), agent.processor
    texts = [*dev_texts(), *ODD_TEXTS]
    spent = dict.fromkeys(runners, 0.0)

    async def parse_all() -> None:
        for text in texts:
            parsed = {}
            for name, runner in runners.items():
                processor.graph_runner = runner
                started = time.perf_counter()
                parsed[name] = await processor.parse_message(UserMessage(text, sender_id="runner"))
                spent[name] += time.perf_counter() - started
            assert parsed["sequential"] == parsed["dask"], text

    try:
        asyncio.run(parse_all())
    finally:
        processor.graph_runner = runners["sequential"]
    assert len(texts) > 400
    REPORTS.append(
        f"graph runner: {len(texts)} parses the same; dask {spent['dask']:.1f} s, "
        f"sequential {spent['sequential']:.1f} s"
    )


def _events(events: list[Any]) -> list[dict]:
    # each prediction makes its events when it runs: everything but the time must agree
    return [{k: v for k, v in event.as_dict().items() if k != "timestamp"} for event in events]


def _outcome(prediction: Any) -> tuple:
    return (
        prediction.max_confidence_index,
        prediction.probabilities,
        prediction.policy_name,
        _events(prediction.events),
        _events(prediction.optional_events),
        prediction.is_end_to_end_prediction,
        prediction.is_no_user_prediction,
        prediction.hide_rule_turn,
        prediction.action_metadata,
    )


def test_the_same_prediction_at_every_state_of_every_story(agent: Any) -> None:
    runners, processor = _runners(agent), agent.processor
    stories = _create_data_generator(str(STORIES), agent).generate_story_trackers()
    checked, spent = 0, dict.fromkeys(runners, 0.0)
    try:
        for story in stories:
            tracker = DialogueStateTracker.from_events(story.sender_id, [], agent.domain.slots)
            for event in story.events:
                if isinstance(event, ActionExecuted) and tracker.events:
                    predicted = {}
                    for name, runner in runners.items():
                        processor.graph_runner = runner
                        started = time.perf_counter()
                        predicted[name] = _outcome(processor._predict_next_with_tracker(tracker))
                        spent[name] += time.perf_counter() - started
                    assert predicted["sequential"] == predicted["dask"], (story.sender_id, event)
                    checked += 1
                tracker.update(event)
    finally:
        processor.graph_runner = runners["sequential"]
    assert checked > 500
    REPORTS.append(
        f"graph runner: {checked} predictions the same; dask {spent['dask']:.1f} s, "
        f"sequential {spent['sequential']:.1f} s"
    )


def test_each_node_runs_once_after_everything_it_needs(agent: Any) -> None:
    runner = agent.processor.graph_runner
    nodes = runner._graph_schema.nodes
    for targets in runner._plans or {tuple(runner._graph_schema.target_names): None}:
        plan = runner._plan(targets)
        names = [name for name, _, _ in plan]
        assert len(names) == len(set(names))
        assert set(targets) <= set(names)
        for position, (name, _, needs) in enumerate(plan):
            assert tuple(nodes[name].needs.values()) == needs
            assert all(need in names[:position] for need in needs if need in nodes), name
        # exactly the nodes Rasa's minimal graph for these targets holds
        assert set(names) == set(runner._graph_schema.minimal_graph_schema(list(targets)).nodes)
