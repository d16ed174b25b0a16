"""The queue by priority in a real browser (Debian's Chromium through Playwright), against the
web app as it runs (`python -m safeshare.web`, with its notifier): urgent first, with its reason
and due date; overdue ones marked; the priority changed on the inquiry page; the dashboard's
numbers. The urgent inquiry also reaches staff through the web app's own notifier (a real SMTP
server on loopback).

Screenshots go to var/screenshots/ (ignored by git); to refresh the ones in the docs:
SCREENSHOT_DIR=docs/screenshots .venv/bin/python -m pytest tests/console/test_queue_browser.py
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from safeshare import launcher, workdays
from safeshare.db import repository
from safeshare.db.migrate import upgrade
from safeshare.db.session import create_engine, session_scope
from safeshare.settings import PROJECT_ROOT
from safeshare.web import accounts
from tests.fakes.smtp_server import SmtpInbox

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SCREENSHOTS = PROJECT_ROOT / os.environ.get("SCREENSHOT_DIR", "var/screenshots")
PASSWORD = "queue browser passphrase"
QUESTION = "Someone at my daughter's school is sharing a fake nude picture of her, what do I do?"


def add(url: str, reference: str, created: datetime, **fields: object) -> None:
    values: dict = {
        "reference": reference,
        "channel": "socketio",
        "sender_key": "k-" + reference,
        "language": "en",
        "question": "Can the school post class photos on its Facebook page?",
        "reason": "human_handoff",
        "transcript": [],
        "created_at": created.isoformat(),
    }
    values.update(fields)
    engine = create_engine(url)
    with session_scope(engine) as session:
        repository.create_inquiry(session, repository.NewInquiry(**values))
    engine.dispose()


@pytest.fixture()
def web(tmp_path: Path) -> Iterator[tuple[str, str, SmtpInbox]]:
    """The web app on a fresh database, notifying a real SMTP server every half second."""
    url = f"sqlite:///{tmp_path / 'queue.db'}"
    upgrade(url)
    engine = create_engine(url)
    with session_scope(engine) as session:
        accounts.create_user(session, "duty", "admin", PASSWORD)
    engine.dispose()
    port = launcher.free_port()
    with SmtpInbox() as inbox:
        env = launcher.base_env(
            {
                "DATABASE_URL": url,
                "TRACKER_DB_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
                "SAFESHARE_WEB_PORT": str(port),
                "SAFESHARE_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(inbox.port),
                "SMTP_SECURITY": "none",
                "SAFESHARE_NOTIFY_EMAIL_TO": "duty@safeshare.example.org",
                "SAFESHARE_NOTIFY_INTERVAL": "0.5",
                "SAFESHARE_DIGEST_TIME": "off",
            }
        )
        log = open(tmp_path / "web.log", "ab")  # noqa: SIM115
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
            yield f"http://127.0.0.1:{port}", url, inbox
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
            log.close()
    assert "staff notifications: email to 1 address via 127.0.0.1" in (tmp_path / "web.log").read_text()


def test_queue_shows_priority_reason_and_due_date_urgent_first(web: tuple[str, str, SmtpInbox]) -> None:
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: make system-deps (apt-get install -y chromium)")
    base, url, inbox = web
    now = datetime.now(timezone.utc)
    add(url, "SS-NRM2A", now - timedelta(hours=3))
    add(url, "SS-LTE2A", now - timedelta(days=12), question="Is CCTV in a classroom allowed?")
    add(
        url,
        "SS-HGH2A",
        now - timedelta(hours=2),
        priority="high",
        priority_reason="threats",
        question="My ex says he will post an edited video of me",
    )
    add(
        url,
        "SS-URG2A",
        now - timedelta(minutes=4),
        priority="urgent",
        priority_reason="sexual content; child affected",
        question=QUESTION,
        channel="telegram",
    )

    # The web app's notifier alerts staff to the urgent one, without the user's words.
    email = inbox.wait_for(lambda m: "SS-URG2A" in m["Subject"], timeout=30)
    assert "sexual content; child affected" in email.get_content()
    assert "nude" not in email.as_string() and "daughter" not in email.as_string()
    assert all("SS-NRM2A" not in m["Subject"] for m in inbox.messages)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        csp_errors: list[str] = []
        page.on(
            "console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None
        )
        try:
            page.goto(f"{base}/console/")
            page.get_by_label("Username").fill("duty")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Inquiry queue")).to_be_visible()

            rows = page.locator("table.queue tbody tr")
            expect(rows).to_have_count(4)
            order = [rows.nth(i).locator("th").inner_text() for i in range(4)]
            assert order == ["SS-URG2A", "SS-HGH2A", "SS-LTE2A", "SS-NRM2A"]  # priority, then due date
            urgent = rows.nth(0)
            expect(urgent.locator("td.priority")).to_contain_text("urgent")
            expect(urgent.locator("td.priority")).to_contain_text("sexual content; child affected")
            # Due the same working day (the next one on a weekend or holiday).
            created = now - timedelta(minutes=4)
            due_day = workdays.add_working_days(workdays.hk_date(created), 0)
            expect(urgent.locator("td.due time")).to_have_attribute("datetime", due_day.isoformat())
            expect(urgent.locator("td.due")).to_contain_text(due_day.strftime("%a %d %b"))
            if due_day == workdays.hk_date(now):
                expect(urgent.locator("td.due")).to_contain_text("due today")
            expect(rows.nth(1).locator("td.priority")).to_contain_text("threats")
            expect(rows.nth(2).locator("td.due")).to_contain_text("overdue")
            expect(page.locator("#overdue-count")).to_contain_text("1 open inquiry is overdue")
            page.screenshot(path=str(SCREENSHOTS / "queue-by-priority.png"), full_page=True)

            # Staff raise the normal one to high on its page: audited, due date follows.
            rows.nth(3).get_by_role("link", name="SS-NRM2A").click()
            expect(page.locator("#fact-priority")).to_contain_text("no crisis signals")
            page.get_by_label("Set priority").select_option("high")
            page.get_by_role("button", name="Change priority").click()
            expect(page.get_by_role("status").first).to_contain_text("SS-NRM2A is now high")
            expect(page.locator("#priority-history")).to_contain_text("normal → high")
            page.screenshot(path=str(SCREENSHOTS / "inquiry-priority.png"), full_page=True)

            page.get_by_role("link", name="Queue").first.click()
            order = [rows.nth(i).locator("th").inner_text() for i in range(4)]
            assert order.index("SS-NRM2A") < order.index("SS-LTE2A")  # high now, before the normal one

            page.get_by_role("link", name="Dashboard").click()
            expect(page.locator("#tile-notified")).to_have_text("1")
            expect(page.locator("#by-priority tr[data-priority=urgent]")).to_contain_text("urgent")
            expect(page.locator("#notify-status")).to_contain_text("email to 1 address")
            page.screenshot(path=str(SCREENSHOTS / "dashboard-priorities.png"), full_page=True)
        finally:
            browser.close()
    assert csp_errors == []
