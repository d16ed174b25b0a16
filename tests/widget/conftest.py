"""Browser fixtures for the widget: Debian's Chromium driven by Playwright, the demo page served
by the stack's web app (or, without one, by a Flask app with the public blueprint in a thread),
and a page that refuses and records any request that would leave 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Collects Content-Security-Policy violations before any page script runs (an init script is
# injected by the browser itself, so the page's CSP does not apply to it).
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture(scope="session")
def web_url(stack) -> Iterator[str]:
    if "web" in stack.processes:
        yield stack.web_url
        return
    from flask import Flask
    from werkzeug.serving import make_server

    from safeshare.web.public import bp

    app = Flask("widget-test")
    app.register_blueprint(bp)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Traffic:
    urls: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def hosts(self) -> set[str]:
        return {urlsplit(url).hostname or "" for url in self.urls}


@pytest.fixture()
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture()
def new_page(browser, traffic: Traffic):
    """Open pages in fresh browser contexts (own localStorage); all their traffic is recorded."""
    contexts = []

    def guard(route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            traffic.refused.append(url)
            route.abort()

    def make(**options):
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 800}, **options})
        contexts.append(context)
        context.route("**/*", guard)
        context.add_init_script(CSP_PROBE)
        context.on("request", lambda request: traffic.urls.append(request.url))
        page = context.new_page()
        page.on("websocket", lambda ws: traffic.urls.append(ws.url))
        page.on("console", lambda msg: msg.type == "error" and traffic.console_errors.append(msg.text))
        page.on("pageerror", lambda error: traffic.console_errors.append(str(error)))
        page.set_default_timeout(15000)
        return page

    yield make
    for context in contexts:
        context.close()
    assert traffic.refused == [], f"requests that would have left 127.0.0.1: {traffic.refused}"
    assert traffic.hosts() <= {"127.0.0.1"}, traffic.urls
