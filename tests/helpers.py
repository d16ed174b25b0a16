"""Helpers shared by the tests (no side effects: conftest.py sets up the environment).

Import these from `tests.helpers`, never from `tests.conftest`: importing conftest by name would
run it a second time as another module.
"""

from __future__ import annotations

from pathlib import Path

from safeshare import launcher

# Measurements printed at the end of the run (held-out scores and the like).
REPORTS: list[str] = []


def chat(stack: launcher.Stack, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
    """Send one message over the REST channel; the bot's replies."""
    import httpx

    body: dict = {"sender": sender, "message": text}
    if metadata:
        body["metadata"] = metadata
    response = httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
    response.raise_for_status()
    return response.json()


def texts(replies: list[dict]) -> str:
    return "\n".join(str(r.get("text", "")) for r in replies)


def rasa_events_table(sqlite_url: str) -> None:
    """Rasa's own `events` table in a SQLite file, created by Rasa's SQLTrackerStore as the Rasa
    server creates it (so a test's rows have Rasa's real columns)."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=sqlite_url.removeprefix("sqlite:///"))
    store.engine.dispose()


# Odd input every NLU check parses besides the development messages.
ODD_TEXTS = ["", "😀😀", "a" * 3000, "<script>alert(1)</script>", "'; DROP TABLE users; --", "ok", "係"]


def dev_texts() -> list[str]:
    """The development sets' messages (tests/nlu_dev/, both languages)."""
    import yaml

    from safeshare.settings import PROJECT_ROOT

    found: list[str] = []
    for path in sorted((PROJECT_ROOT / "tests" / "nlu_dev").glob("*.yml")):
        found += [str(e["text"]) for e in yaml.safe_load(path.read_text(encoding="utf-8"))["examples"]]
    return found


def parse_dev_and_odd_texts(model: Path) -> None:
    """Parse every development message and the odd input with the trained model, in process (a
    check patches the component it watches first)."""
    import asyncio

    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse_all() -> None:
        for text in [*dev_texts(), *ODD_TEXTS]:
            await agent.parse_message(text)

    asyncio.run(parse_all())
