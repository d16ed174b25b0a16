"""The whole round trip in a real browser: a Telegram user escalates through the real assistant,
staff sign in, find the inquiry in the queue, answer it, the answer reaches the (fake) Telegram
Bot API, and the dashboard counts it.

Screenshots of the queue and the dashboard go to var/screenshots/ (ignored by git).
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from safeshare import identity, launcher
from safeshare.db.session import engine_for, session_scope
from safeshare.identity import REFERENCE_IN_TEXT as REFERENCE
from safeshare.settings import PROJECT_ROOT, get_settings
from safeshare.web import accounts
from tests.fakes.telegram_api import FakeTelegramServer
from tests.helpers import chat, texts

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
PASSWORD = "browser test passphrase"


@pytest.fixture()
def telegram() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer(token="424242:BROWSER") as server:
        yield server


@pytest.fixture()
def console_url(stack: launcher.Stack, telegram: FakeTelegramServer, run_dir: Path) -> Iterator[str]:
    """Our own web app process: the stack's, plus the Telegram settings pointing at the fake."""
    port = launcher.free_port()
    env = dict(
        stack.env,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.base_url,
        SAFESHARE_WEB_PORT=str(port),
        RASA_URL=stack.rasa_url,
    )
    log = open(run_dir / "logs" / "console-web.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "safeshare.web", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        launcher.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60, process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        log.close()


def escalate_on_telegram(stack: launcher.Stack, chat_id: int, question: str) -> str:
    """What the Telegram relay sends to Rasa for this chat; the inquiry's reference."""
    sender = "tg-" + identity.sender_key(f"telegram:{chat_id}")
    metadata = {"channel": "telegram", "reply_to": str(chat_id)}
    chat(stack, sender, "I want to talk to a real person", metadata)
    chat(stack, sender, question, metadata)
    replies = texts(chat(stack, sender, "/deny", metadata))
    match = REFERENCE.search(replies)
    assert match, replies
    return match.group(0)


def tile(page, label: str) -> int:  # noqa: ANN001
    text = page.locator("ul.tiles li", has_text=label).locator(".tile-n").inner_text()
    return int(text)


def test_answer_a_telegram_inquiry_in_the_browser(
    stack: launcher.Stack, telegram: FakeTelegramServer, console_url: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: apt-get install -y chromium")
    username = f"lead-{secrets.token_hex(3)}"
    with session_scope(engine_for(get_settings().database_url)) as session:
        accounts.create_user(session, username, "admin", PASSWORD)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    chat_id = 880000000 + secrets.randbelow(99999)
    question = "My son's school posted his photo with full name <b>online</b>, what can I do?"
    answer = "Please ask the school in writing to remove it. 你亦可以向私隱專員公署查詢。"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        csp_errors: list[str] = []
        page.on(
            "console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None
        )
        try:
            # Signing in: the console sends us to the login page first.
            page.goto(f"{console_url}/console/dashboard")
            expect(page).to_have_url(re.compile(r"/console/login\?next=/console/dashboard$"))
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
            inquiries_before = tile(page, "inquiries")
            answered_before = tile(page, "answered")

            # A Telegram user escalates through the real assistant.
            reference = escalate_on_telegram(stack, chat_id, question)

            page.get_by_role("link", name="Queue").click()
            row = page.locator("table.queue tbody tr", has_text=reference)
            expect(row).to_be_visible()
            expect(row).to_contain_text("telegram")
            expect(row).to_contain_text("human handoff")
            expect(row).to_contain_text("<b>online</b>")  # shown as text, not markup
            page.screenshot(path=str(SCREENSHOTS / "console-queue.png"), full_page=True)

            row.get_by_role("link", name=reference).click()
            expect(page.get_by_role("heading", name=reference)).to_be_visible()
            expect(page.locator("blockquote.question-text")).to_contain_text("<b>online</b>")
            expect(page.locator("ol.transcript")).to_contain_text("talk to a real person")
            page.get_by_label("Answer to the user").fill(answer)
            page.get_by_role("button", name="Send answer").click()
            expect(page.locator("#delivery-status")).to_contain_text("delivered")
            expect(page.get_by_role("status").first).to_contain_text("Answer sent to the user")

            message = telegram.wait_for_message(chat_id, contains=reference, timeout=30)
            assert answer in message["text"]

            page.get_by_role("link", name="Dashboard").click()
            expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
            assert tile(page, "inquiries") == inquiries_before + 1
            assert tile(page, "answered") == answered_before + 1
            expect(page.locator("#per-reason")).to_contain_text("human handoff")
            # The tracker store is read: the fallback rate is over real user messages.
            expect(page.locator("ul.tiles")).to_contain_text("fallback rate")
            page.screenshot(path=str(SCREENSHOTS / "console-dashboard.png"), full_page=True)

            # Keyboard: the first Tab reaches the skip link.
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        finally:
            browser.close()
    assert csp_errors == []
    assert (SCREENSHOTS / "console-queue.png").stat().st_size > 10_000
    assert (SCREENSHOTS / "console-dashboard.png").stat().st_size > 10_000
