"""Facts read from domain.yml (safeshare/domain.py)."""

from __future__ import annotations

from safeshare import domain


def test_slot_values_in_the_domains_order() -> None:
    assert domain.slot_values("language") == ("en", "zh")
    platforms = domain.slot_values("platform")
    assert platforms[0] == "facebook" and platforms[-1] == "other" and "douyin" in platforms


def test_form_slots_one_form_or_all_each_once() -> None:
    assert domain.form_slots("privacy_settings_form") == ("platform",)
    assert domain.form_slots("report_deepfake_form") == ("affected", "content_kind", "platform")
    every = domain.form_slots()
    assert every[:3] == ("affected", "content_kind", "platform")
    assert every.count("platform") == 1  # asked by two forms, listed once
    assert set(every) == {s for form in domain.domain()["forms"].values() for s in form["required_slots"]}
