"""Rasa with the project's extensions installed: the one way every part of SafeShare starts Rasa.

    python -m safeshare.rasa_ext.server run --model models/safeshare.tar.gz ...

takes the same arguments as `rasa` (run, shell, test, train, ...). Before handing over to Rasa's
command line it installs what Rasa has no configuration hook for:

- `remote_action`: a custom action that fails answers the user instead of going silent, and the
  action server's answers are checked without re-validating the schema every time;
- `focus`: Rasa's message processor reads an unsure long message sentence by sentence, and a short
  reply after a missed message together with that message (`safeshare.nlu.focus`);
- `tracker_store`: an action that reads the whole session gets it, although a turn loads only
  its last turns (`safeshare.rasa_ext.tracker_store`);
- `rule_policy`: the rule policy checks only the rules that can still match (the same result).
- `Domain.is_empty` is answered once per domain: Rasa asks it for every message, and each time
  built an empty domain to compare the whole domain with.
- the message processor's debug log lines copy what they log (`copy.deepcopy` of each action's
  events, the message's entities...) even when debug lines are not written, ~6 deep copies per
  message; here they copy only when the processor's debug lines are written (`_DebugOnlyCopy`).
- `graph_runner`: a loaded model's graph runs node after node in an order worked out once, not
  through a dask graph built for every call (the same nodes, inputs and results).
- `tracker_copy`: the copy Rasa makes before each action is taken from the tracker's state, not
  by replaying its events (the same copy).

The launcher (`safeshare.launcher.rasa_command`), the tests, the benchmarks and the Docker image all
start Rasa through this module; in-process users (bench/accuracy.py) call `install()`.
"""

from __future__ import annotations

import copy
import logging
import sys
from typing import Any

from safeshare.nlu import focus
from safeshare.rasa_ext import graph_runner, remote_action, rule_policy, tracker_copy, tracker_store

_installed = False
# Off only to score a pipeline as Rasa ships it (bench/accuracy.py's default pipeline).
focus_enabled = True


def _previous_message(tracker: Any) -> tuple[str | None, str | None]:
    """The user's previous message as (missed, report): its text in the first place if it fell back
    or was out of scope, in the second if it started a report and no form is asking questions (a
    form takes the answers to its questions itself, actions/flows.py)."""
    if tracker is None:
        return None, None
    asking = bool(getattr(tracker, "active_loop_name", None))
    for event in reversed(tracker.events):
        if getattr(event, "type_name", None) == "user":
            intent = (event.intent or {}).get("name")
            text = event.text if event.text and not event.text.startswith("/") else None
            report = text if intent in focus.REPORTS and not asking else None
            return (text if intent in focus.MISSES else None), report
    return None, None


def _install_focus() -> None:
    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor._parse_message_with_graph

    def parse_with_focus(
        self: MessageProcessor, message: UserMessage, tracker: Any, only_output_properties: bool = True
    ) -> dict[str, Any]:
        parsed = original(self, message, tracker, only_output_properties)
        if not focus_enabled:
            return parsed

        def parse(text: str) -> dict[str, Any]:
            part = UserMessage(text, sender_id=message.sender_id, input_channel=message.input_channel)
            return original(self, part, tracker, only_output_properties)

        missed, report = _previous_message(tracker)
        return focus.refine(message.text or "", parsed, parse, missed, report)

    MessageProcessor._parse_message_with_graph = parse_with_focus  # type: ignore[method-assign]


def _install_domain_is_empty() -> None:
    from rasa.shared.core.domain import Domain

    original = Domain.is_empty

    def is_empty(self: Domain) -> bool:
        # A loaded domain does not change; Rasa's answer rebuilds an empty one and compares both
        # as dictionaries, on every message (MessageProcessor._check_for_unseen_features).
        known = self.__dict__.get("_safeshare_is_empty")
        if known is None:
            known = self.__dict__["_safeshare_is_empty"] = original(self)
        return known

    is_empty.original = original  # type: ignore[attr-defined]
    Domain.is_empty = is_empty  # type: ignore[method-assign]


class _DebugOnlyCopy:
    """`copy` as `rasa.core.processor` uses it: `copy.deepcopy` of values passed to its debug log
    lines only (tests/unit/test_debug_only_copy.py checks the module's source says so). A line
    that is not written is dropped by structlog's `filter_by_level` (Rasa's configuration), by
    the level of the standard logger of that module, so nothing reads the value then."""

    logger = logging.getLogger("rasa.core.processor")

    @classmethod
    def deepcopy(cls, value: Any, memo: Any = None) -> Any:
        if cls.logger.isEnabledFor(logging.DEBUG):
            return copy.deepcopy(value, memo)
        return value


def _install_debug_only_copies() -> None:
    import rasa.core.processor

    rasa.core.processor.copy = _DebugOnlyCopy  # type: ignore[assignment]


def install() -> None:
    """Install the extensions once per process (idempotent)."""
    global _installed
    if not _installed:
        remote_action.install()
        tracker_store.install()
        rule_policy.install()
        graph_runner.install()
        tracker_copy.install()
        _install_focus()
        _install_domain_is_empty()
        _install_debug_only_copies()
        _installed = True


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
