"""Replay the conversations of bench/transcripts.yml through the real stack and print them.

Starts its own action server and Rasa (the trained model, SQLite in a temporary folder, free
loopback ports), sends each conversation's messages in order on the REST channel under a new
sender, and prints every message with what the NLU read (intent, confidence, entities, from the
conversation's tracker) and the assistant's replies. For reading, not asserting: the tests in
tests/e2e assert behaviour; this shows it.

Usage:
  python bench/transcripts.py [--model PATH] [--only NAME,...] [--width 0]
Writes bench/results/transcripts.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import benchlib
import httpx
import yaml

HERE = Path(__file__).resolve().parent


def last_user_parse(client: httpx.Client, base: str, token: str, sender: str) -> dict[str, Any]:
    tracker = client.get(f"{base}/conversations/{sender}/tracker", params={"token": token}).json()
    for event in reversed(tracker.get("events", [])):
        if event.get("event") == "user":
            return event.get("parse_data") or {}
    return {}


def describe(parse: dict[str, Any]) -> str:
    intent = parse.get("intent") or {}
    entities = ", ".join(f"{e.get('entity')}={e.get('value')}" for e in parse.get("entities", []))
    focus = f", read {parse['focus']}" if parse.get("focus") else ""
    return f"{intent.get('name')} {intent.get('confidence', 0):.2f}{focus}" + (
        f"; {entities}" if entities else ""
    )


def reply_text(message: dict[str, Any]) -> str:
    text = message.get("text") or ""
    buttons = message.get("buttons") or []
    if buttons:
        text += "\n[" + " | ".join(str(b.get("title")) for b in buttons) + "]"
    return text or ("(image)" if message.get("image") else "(custom payload)")


def replay(
    client: httpx.Client, stack: benchlib.RunningStack, messages: list[str], name: str, width: int
) -> list[dict[str, Any]]:
    """One conversation under a new sender: print and return each turn."""
    sender = f"transcript-{uuid.uuid4().hex[:8]}"
    print(f"\n### {name}")
    turns = []
    for text in messages:
        response = client.post(
            f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
        )
        replies = response.json() if response.status_code == 200 else []
        parse = last_user_parse(client, stack.rasa_url, stack.token, sender)
        print(f"\n> {text}\n  [{describe(parse)}]")
        for reply in replies:
            body = reply_text(reply)
            if width:
                body = "\n".join(
                    textwrap.fill(line, width, subsequent_indent="  ") for line in body.splitlines()
                )
            print(textwrap.indent(body, "  < ", lambda _line: True))
        turns.append({"user": text, "parse": describe(parse), "replies": [reply_text(r) for r in replies]})
    return turns


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", default=None, help="replay with this model instead of models/safeshare.tar.gz"
    )
    parser.add_argument("--only", default="", help="comma-separated conversation names")
    parser.add_argument("--width", type=int, default=100, help="wrap replies at this width (0: no wrapping)")
    args = parser.parse_args()
    benchlib.exit_on_sigterm()
    started = time.monotonic()
    conversations: dict[str, list[str]] = yaml.safe_load(
        (HERE / "transcripts.yml").read_text(encoding="utf-8")
    )["conversations"]
    wanted = {name for name in args.only.split(",") if name}
    if wanted - set(conversations):
        raise SystemExit(f"unknown conversations: {', '.join(sorted(wanted - set(conversations)))}")
    model = Path(args.model) if args.model else None
    with (
        tempfile.TemporaryDirectory(prefix="safeshare-transcripts-") as tmp,
        benchlib.private_stack(benchlib.sqlite_backend(Path(tmp)), workdir=Path(tmp), model=model) as stack,
        httpx.Client(timeout=60) as client,
    ):
        chosen = {name: messages for name, messages in conversations.items() if not wanted or name in wanted}
        results = {
            name: replay(client, stack, messages, name, args.width) for name, messages in chosen.items()
        }
    benchlib.write_result("transcripts", {"conversations": results}, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
