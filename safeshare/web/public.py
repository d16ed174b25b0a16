"""Public pages: the widget demo (/demo), the widget file (/widget/...) and school plans (/plan).

Why these live together: they are the anonymous side of the web app. Nothing here needs a login,
sets a cookie or touches the database, so the app factory exempts the blueprint from CSRF.

- /demo is a mock school website that embeds the widget with one script tag, served under the
  strict Content-Security-Policy a careful school would use: the widget must keep working with
  no inline script, no inline style attribute and no third-party origin.
- /widget/<file> serves the built widget (widget/dist, committed, so users need no Node). A URL
  with ?v=<content hash> is cached for a year; the plain URL that schools paste is cached for a
  day and revalidated with its ETag, so a new widget reaches them without a cache-busting edit.
- /plan/school.md renders the school's deepfake-incident checklist from the answers the
  assistant collected, as a Markdown download.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, abort, make_response, render_template, request, send_from_directory
from werkzeug.wrappers import Response

from safeshare.settings import PROJECT_ROOT, get_settings

bp = Blueprint("public", __name__, template_folder="templates")

WIDGET_DIST = PROJECT_ROOT / "widget" / "dist"
WIDGET_FILE = "safeshare-widget.js"
YEAR = 365 * 24 * 3600
DAY = 24 * 3600
# Hong Kong has no daylight saving time: a fixed offset needs no tz database.
HKT = timezone(timedelta(hours=8), "HKT")
PLAN_FLAGS = ("crisis_team", "antibullying", "parent_comms", "staff_training")
PLAN_LANGUAGES = ("en", "zh")
PLAN_FILENAME = "school-deepfake-plan.md"
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


def origins(url: str) -> tuple[str, str]:
    """The HTTP origin of a server URL and the WebSocket origin the browser uses for it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    ws = "wss" if parts.scheme == "https" else "ws"
    return f"{parts.scheme}://{parts.netloc}", f"{ws}://{parts.netloc}"


def demo_csp(rasa_url: str, nonce: str) -> str:
    """No inline script at all; the page's own <style> carries a per-response nonce; the widget
    adopts its CSS through CSSOM, which CSP allows. Only this server and Rasa are reachable."""
    http_origin, ws_origin = origins(rasa_url)
    return (
        "default-src 'self'; script-src 'self'; "
        f"style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; font-src 'self'; "
        f"connect-src 'self' {http_origin} {ws_origin}; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


@lru_cache(maxsize=8)
def _content_hash(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def asset_version(name: str = WIDGET_FILE) -> str:
    """Short content hash of a built widget file (re-read only when the file changes)."""
    path = WIDGET_DIST / name
    stat = path.stat()
    return _content_hash(path, stat.st_mtime_ns, stat.st_size)


@bp.get("/demo")
def demo() -> Response:
    settings = get_settings()
    nonce = secrets.token_urlsafe(16)
    try:
        version = asset_version()
    except FileNotFoundError:
        version = ""
    html = render_template(
        "demo.html", rasa_url=settings.rasa_public_url, widget_version=version, nonce=nonce
    )
    response = make_response(html)
    response.headers["Content-Security-Policy"] = demo_csp(settings.rasa_public_url, nonce)
    response.headers["Cache-Control"] = "no-store"  # the nonce must be new on every load
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/widget/<path:filename>")
def widget_asset(filename: str) -> Response:
    suffix = Path(filename).suffix
    if suffix not in CONTENT_TYPES:
        abort(404)
    response = send_from_directory(WIDGET_DIST, filename, conditional=True, etag=True)
    response.headers["Content-Type"] = CONTENT_TYPES[suffix]
    wanted = request.args.get("v")
    if wanted and wanted == asset_version(filename):
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = f"public, max-age={DAY}"
    # Any school's site may load it (also with Subresource Integrity or under COEP).
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _flag(name: str) -> bool:
    value = request.args.get(name, "0")
    if value not in ("0", "1"):
        abort(400, description=f"{name} must be 0 or 1")
    return value == "1"


@bp.get("/plan/school.md")
def school_plan() -> Response:
    flags = {name: _flag(name) for name in PLAN_FLAGS}
    lang = request.args.get("lang", "en")
    if lang not in PLAN_LANGUAGES:
        abort(400, description="lang must be en or zh")
    text = render_template(f"plan/plan.{lang}.md", generated_on=datetime.now(HKT).date().isoformat(), **flags)
    response = make_response(text)
    response.headers["Content-Type"] = "text/markdown; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{PLAN_FILENAME}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
