"""After the hostile corpus went through every channel: no personal identifier from it is kept
anywhere SafeShare stores things (its databases and every file under the run's var/)."""

from __future__ import annotations

import pytest

from safeshare.settings import get_settings
from tests.hardening.channels import NOTES, ChannelRun, stored_text
from tests.hardening.corpus import corpus

pytestmark = pytest.mark.model


def _identifiers() -> dict[str, str]:
    return {raw: case.name for case in corpus() for raw in case.pii}


def test_no_identifier_is_stored(
    rest_run: tuple[ChannelRun, ChannelRun], socketio_run: ChannelRun, telegram_run: ChannelRun
) -> None:
    settings = get_settings()
    stored = stored_text([settings.tracker_db_url, settings.database_url], settings.var_dir)
    identifiers = _identifiers()
    assert len(identifiers) >= 40
    leaked = {raw: name for raw, name in identifiers.items() if raw in stored}
    assert not leaked, leaked
    # The messages did arrive, redacted: the placeholders are there.
    for placeholder in ("[HKID]", "[PHONE]", "[EMAIL]", "[CARD]"):
        assert placeholder in stored, placeholder
    channels = ["rest", "socketio"] + ([] if telegram_run.skipped else ["telegram"])
    NOTES.append(
        f"hardening storage: {len(identifiers)} identifiers sent over {', '.join(channels)}; none stored"
    )


def test_no_identifier_in_the_server_logs(rest_run: tuple[ChannelRun, ChannelRun], run_dir) -> None:
    logs = "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in (run_dir / "logs").glob("*.log")
    )
    leaked = {raw: name for raw, name in _identifiers().items() if raw in logs}
    assert not leaked, leaked
