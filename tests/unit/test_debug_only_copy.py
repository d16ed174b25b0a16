"""Rasa's message processor deep-copies values only for its debug log lines; with the server's
extensions (safeshare/rasa_ext/server.py) it copies them only when those lines are written."""

from __future__ import annotations

import ast
import inspect
import logging
from collections.abc import Iterator

import pytest
import rasa.core.processor

from safeshare.rasa_ext import server


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _is_debug_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "debug"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in {"structlogger", "logger"}
    )


def test_the_processor_copies_only_what_it_logs_at_debug_level() -> None:
    tree = ast.parse(inspect.getsource(rasa.core.processor))
    parents = _parents(tree)
    uses = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "copy"
    ]
    assert len(uses) >= 5
    for use in uses:
        assert use.attr == "deepcopy", ast.unparse(use)
        node = parents[use]
        while not _is_debug_call(node):
            assert node in parents, f"copy.deepcopy outside a debug log line at line {use.lineno}"
            node = parents[node]


@pytest.fixture()
def processor_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("rasa.core.processor")
    level = logger.level
    yield logger
    logger.setLevel(level)


def test_a_copy_only_when_debug_lines_are_written(processor_logger: logging.Logger) -> None:
    server.install()
    assert rasa.core.processor.copy is server._DebugOnlyCopy
    events = [{"event": "slot", "name": "platform", "value": ["whatsapp"]}]
    processor_logger.setLevel(logging.INFO)
    assert rasa.core.processor.copy.deepcopy(events) is events  # the line is dropped: no copy
    processor_logger.setLevel(logging.DEBUG)
    copied = rasa.core.processor.copy.deepcopy(events)
    assert copied == events and copied is not events and copied[0]["value"] is not events[0]["value"]
