"""What several actions share (actions/common.py)."""

from __future__ import annotations

from actions.common import reset_flow_events
from safeshare import domain


def test_a_reset_clears_every_slot_a_flow_fills():
    cleared = [event["name"] for event in reset_flow_events()]
    assert set(domain.form_slots()) <= set(cleared)
    assert set(cleared) - {"requested_slot"} <= set(domain.domain()["slots"])
    assert len(cleared) == len(set(cleared))
