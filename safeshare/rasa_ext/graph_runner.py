"""Rasa's prediction graph, run node after node without building a dask graph for every call.

Rasa runs its model graph through dask (`DaskGraphRunner`) twice or more per message: once to read
the message, once per action it predicts. Each call works out the part of the graph the targets
need, builds a dask graph from it and hands it to dask's synchronous scheduler, which orders the
tasks and keeps its own bookkeeping, before any component runs. The graph of a loaded model never
changes, so `SequentialGraphRunner` works out the order once per set of targets and then calls the
nodes in that order: the same nodes, with the same inputs, in an order that respects every need
(`GraphNode.__call__` does the work, hooks and errors included). Training keeps Rasa's runner.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphNode
from rasa.engine.runner.dask import DaskGraphRunner

# (node name, node, names of what it needs) in an order where every need comes first
Plan = tuple[tuple[str, GraphNode, tuple[str, ...]], ...]


class SequentialGraphRunner(DaskGraphRunner):
    """A `DaskGraphRunner` whose `run` calls the nodes in a precomputed order (same results)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, ...], Plan] = {}

    def _plan(self, targets: tuple[str, ...]) -> Plan:
        plan = self._plans.get(targets)
        if plan is None:
            plan = self._plans[targets] = self._order(targets)
        return plan

    def _order(self, targets: tuple[str, ...]) -> Plan:
        nodes = self._graph_schema.nodes
        ordered: list[tuple[str, GraphNode, tuple[str, ...]]] = []
        done: set[str] = set()
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in done or name not in nodes:  # an input, or already placed
                return
            if name in visiting:
                raise GraphRunError(f"The graph has a cycle through node '{name}'.")
            visiting.add(name)
            needs = tuple(nodes[name].needs.values())
            for need in needs:
                visit(need)
            visiting.discard(name)
            done.add(name)
            ordered.append((name, self._instantiated_nodes[name], needs))

        for target in targets:
            visit(target)
        return tuple(ordered)

    def run(
        self,
        inputs: dict[str, Any] | None = None,
        targets: list[str] | None = None,
    ) -> dict[str, Any]:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        plan = self._plan(run_targets)
        # What a node receives for each need: (name, output), as under dask; a need that nothing
        # provides arrives as its bare name, which `GraphNode` reports.
        values: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in self._graph_schema.nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of the "
                    f"input names passed to the `run` method are the same as node names in the "
                    f"graph schema."
                )
            values[name] = (name, value)
        try:
            for name, node, needs in plan:
                values[name] = node(*[values.get(need, need) for need in needs])
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return {target: values[target][1] for target in run_targets}


def install() -> None:
    """Rasa's message processor loads models with this runner from here on."""
    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]
