"""`python -m bot` without a token, and in webhook mode (no Rasa needed: it apologises)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from safeshare import launcher, responses
from tests.bot.relay_process import start_relay, stop_relay
from tests.fakes.telegram_api import FakeTelegramServer, text_update

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # Telegram's name for it


def test_without_a_token_it_exits_saying_why() -> None:
    env = launcher.base_env({"TELEGRAM_BOT_TOKEN": ""})
    result = subprocess.run(
        launcher.telegram_argv(),
        cwd=launcher.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr


def test_webhook_mode_registers_and_answers_only_telegram(tmp_path: Path) -> None:
    port = launcher.free_port()
    with FakeTelegramServer(token="777:WEBHOOK") as tg:
        relay = start_relay(
            tg,
            f"http://127.0.0.1:{launcher.free_port()}",
            tmp_path / "log",
            {
                "TELEGRAM_MODE": "webhook",
                "TELEGRAM_WEBHOOK_URL": "https://safeshare.example/telegram/hook",
                "TELEGRAM_WEBHOOK_PORT": str(port),
            },
        )
        try:
            [registered] = tg.calls_of("setWebhook")
            assert registered["url"] == "https://safeshare.example/telegram/hook"
            secret = registered["secret_token"]
            assert len(secret) >= 32
            assert "message" in registered["allowed_updates"]
            url = f"http://127.0.0.1:{port}/telegram/hook"
            deadline = time.monotonic() + 20
            while True:  # until the webhook server answers at all (a GET is not allowed)
                try:
                    httpx.get(url, timeout=2)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            update = {"update_id": 1, **text_update(91, "what is a deepfake?")}
            assert httpx.post(url, json=update).status_code == 403  # no secret: not Telegram
            assert httpx.post(url, json=update, headers={SECRET_HEADER: "wrong"}).status_code == 403
            assert httpx.post(url, json=update, headers={SECRET_HEADER: secret}).status_code == 200
            message = tg.wait_for_message(91, timeout=30)
            assert message["text"] == responses.text("utter_error", "en")  # Rasa is not running
            assert len(tg.sent_messages(91)) == 1
            assert tg.calls_of("getUpdates") == []
        finally:
            stop_relay(relay)
        assert relay.process.returncode == 0
