"""The public blueprint: the demo page's CSP and single script tag, the widget file's headers and
the school plan download (content depends on the answers; bad parameters are refused)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask

from safeshare.web import public


@pytest.fixture()
def client(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:5999")
    from safeshare.settings import get_settings

    get_settings.cache_clear()
    app = Flask(__name__)
    app.register_blueprint(public.bp)
    yield app.test_client()
    get_settings.cache_clear()


def test_demo_page_embeds_the_widget_with_one_script_tag_under_a_strict_csp(client) -> None:
    response = client.get("/demo")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert len(scripts) == 1
    tag = scripts[0]
    assert re.search(r'src="/widget/safeshare-widget\.js\?v=[0-9a-f]{12}"', tag)
    assert 'data-server-url="http://127.0.0.1:5999"' in tag
    assert re.search(r"<script[^>]*>\s*</script>", html), "the script tag has no inline code"
    assert "St. Example Primary School" in html and "聖例子小學" in html and "DEMO" in html

    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self' http://127.0.0.1:5999 ws://127.0.0.1:5999"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    nonce = re.search(r"'nonce-([^']+)'", directives["style-src"]).group(1)
    assert f'<style nonce="{nonce}">' in html
    assert client.get("/demo").headers["Content-Security-Policy"] != csp, "a new nonce per load"


def test_csp_origins_follow_the_rasa_url_scheme() -> None:
    assert public.origins("https://chat.example.org/") == (
        "https://chat.example.org",
        "wss://chat.example.org",
    )
    with pytest.raises(ValueError):
        public.origins("chat.example.org")


def test_widget_file_is_served_with_type_and_cache_headers(client) -> None:
    version = public.asset_version()
    body = (public.WIDGET_DIST / "safeshare-widget.js").read_bytes()

    versioned = client.get(f"/widget/safeshare-widget.js?v={version}")
    assert versioned.status_code == 200
    assert versioned.data == body
    assert versioned.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert versioned.headers["X-Content-Type-Options"] == "nosniff"
    assert versioned.headers["Access-Control-Allow-Origin"] == "*"

    plain = client.get("/widget/safeshare-widget.js")
    assert plain.headers["Cache-Control"] == "public, max-age=86400"
    etag = plain.headers["ETag"]
    assert client.get("/widget/safeshare-widget.js", headers={"If-None-Match": etag}).status_code == 304
    stale = client.get("/widget/safeshare-widget.js?v=000000000000")
    assert stale.headers["Cache-Control"] == "public, max-age=86400"

    assert client.get("/widget/../public.py").status_code == 404
    assert client.get("/widget/missing.js").status_code == 404
    assert client.get("/widget/README.txt").status_code == 404


def test_widget_bundle_is_self_contained() -> None:
    """No request to a CDN or font service can come from the built file."""
    code = (public.WIDGET_DIST / "safeshare-widget.js").read_text(encoding="utf-8")
    urls = set(re.findall(r"https?://[^\s\"'`)]+", code))
    assert urls <= {"http://www.w3.org/2000/svg", "https://socket.io/docs/v3/migrating-from-2-x-to-3-0/"}
    assert "sourceMappingURL" not in code
    assert "@import" not in code and "fonts.googleapis" not in code


def test_school_plan_download_reflects_the_answers(client) -> None:
    response = client.get(
        "/plan/school.md?crisis_team=0&antibullying=1&parent_comms=1&staff_training=0&lang=en"
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="school-deepfake-plan.md"'
    text = response.get_data(as_text=True)
    today = datetime.now(timezone(timedelta(hours=8))).date().isoformat()
    assert f"Prepared with SafeShare HK on {today}" in text
    assert "**Form a crisis-management team.**" in text
    assert "Check that your crisis-management team" not in text
    assert "**Add AI and deepfake incidents to your existing procedures.**" in text
    assert "**Use your existing parent channel**" in text
    assert "**Arrange regular cyber-risk training for staff**" in text
    assert "{%" not in text and "{{" not in text

    other = client.get(
        "/plan/school.md?crisis_team=1&antibullying=0&parent_comms=0&staff_training=1&lang=en"
    ).get_data(as_text=True)
    assert "Check that your crisis-management team covers deepfakes" in other
    assert "**Form a crisis-management team.**" not in other
    assert "**Add deepfakes to your regular staff cyber-risk training:**" in other


def test_school_plan_in_chinese(client) -> None:
    response = client.get(
        "/plan/school.md?crisis_team=1&antibullying=1&parent_comms=1&staff_training=1&lang=zh"
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    today = datetime.now(timezone(timedelta(hours=8))).date().isoformat()
    assert f"由 SafeShare HK 於 {today} 協助製作" in text
    assert "{%" not in text


@pytest.mark.parametrize(
    "query",
    [
        "crisis_team=yes",
        "antibullying=2",
        "parent_comms=",
        "staff_training=true",
        "lang=fr",
        "lang=",
        "lang=../../console/base.html",
        "crisis_team=1&lang=EN",
    ],
)
def test_school_plan_refuses_bad_parameters(client, query: str) -> None:
    assert client.get(f"/plan/school.md?{query}").status_code == 400


def test_school_plan_defaults_to_no_and_english(client) -> None:
    text = client.get("/plan/school.md").get_data(as_text=True)
    assert "**Form a crisis-management team.**" in text
    assert "Deepfake incident checklist for schools" in text
