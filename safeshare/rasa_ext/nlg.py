"""Answer in the language the user chose, else the language they write in.

Every response has a Traditional Chinese variation conditioned on the slot `language` = zh and an
English default. Rasa picks at random among the conditional variations that match, so the two
slots that say which language to use (`language_pref`, chosen; `language`, seen in the last message
that had words) are folded into one value before matching.
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from safeshare.language import SUPPORTED, effective


class LanguageAwareNLG(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None) -> None:
        super().__init__(domain.responses if domain else {})

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        slots = tracker.current_slot_values()
        # An action may name the language outright (it just changed it, in the same turn).
        chosen = kwargs.get("language")
        slots["language"] = chosen if chosen in SUPPORTED else effective(slots)
        return self.generate_from_slots(utter_action, slots, output_channel, **kwargs)

    def _fill_response(
        self, response: dict[str, Any], filled_slots: dict[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Fill placeholders in the text only.

        Button payloads such as `/inform{"platform":"x"}` are JSON, not templates: Rasa's
        interpolator fails on every one and logs the failure with a traceback (slow, and the log
        could carry what the user typed). Buttons are passed through as written.
        """
        buttons = response.pop("buttons", None)
        filled = super()._fill_response(response, filled_slots, **kwargs)
        if buttons is not None:
            filled["buttons"] = buttons
        return filled
