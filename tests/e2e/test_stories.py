"""The conversation test stories (tests/stories/) against the real trained dialogue model.

`rasa test core` replays each story's events and checks every action the model predicts, so a
rule or policy change that breaks a flow (report, privacy settings, school plan, escalation,
erasure, language, the answers) fails here, with the failing story printed. Actions are not
executed in `rasa test core`, so no action server is needed; the endpoint only has to be set
because endpoints.yml reads it from the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from safeshare import launcher
from safeshare.settings import PROJECT_ROOT

pytestmark = pytest.mark.model

STORIES = PROJECT_ROOT / "tests" / "stories"
TIMEOUT = 1200


def _story_count() -> int:
    return sum(
        len(yaml.safe_load(path.read_text(encoding="utf-8")).get("stories") or [])
        for path in sorted(STORIES.glob("*.yml"))
    )


def _failure_report(out: Path, result: subprocess.CompletedProcess[str]) -> str:
    """What a reader needs to fix a failure: the failed story, else Rasa's own output.

    With --fail-on-prediction-errors Rasa stops at the first wrong action and puts that story,
    marked `# predicted: ...`, in the exception message; failed_test_stories.yml only exists
    when it ran to the end.
    """
    output = result.stdout + result.stderr
    parts = [f"rasa test core exited with {result.returncode}"]
    failed = out / "failed_test_stories.yml"
    if failed.exists():
        parts.append(f"--- {failed.name} ---\n{failed.read_text(encoding='utf-8')}")
    if "Failed Story:" in output:
        parts.append("--- failed story ---\n" + output[output.index("Failed Story:") :][:8000])
    else:
        parts.append(f"--- output (last 8000 characters) ---\n{output[-8000:]}")
    return "\n".join(parts)


def test_every_story_is_predicted(trained_model: Path, tmp_path: Path) -> None:
    expected = _story_count()
    assert expected >= 50, f"only {expected} stories in {STORIES}"
    out = tmp_path / "results"
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        # endpoints.yml needs it; `rasa test core` never calls custom actions
        "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook",
    }
    result = subprocess.run(
        launcher.rasa_command(
            "test",
            "core",
            "--stories",
            str(STORIES),
            "--model",
            str(trained_model),
            "--endpoints",
            "endpoints.yml",
            "--fail-on-prediction-errors",
            "--out",
            str(out),
        ),
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    report = _failure_report(out, result)
    if result.returncode != 0:
        print(report)
    assert result.returncode == 0, report

    accuracy = json.loads((out / "story_report.json").read_text(encoding="utf-8"))
    conversations = accuracy["conversation_accuracy"]
    assert conversations["total"] == expected, report
    assert conversations["correct"] == expected, report
    failed = out / "failed_test_stories.yml"
    assert not failed.exists() or "stories:" not in failed.read_text(encoding="utf-8"), report
