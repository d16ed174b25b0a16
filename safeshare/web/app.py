"""The web app: the staff console (/console) and the public pages (/demo, /widget, /plan).

`create_app` only wires: configuration from `Settings`, cookie and CSRF protection, the two
blueprints and the security headers. Nothing connects to anything until a request needs it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from safeshare.settings import Settings, get_settings
from safeshare.web.console.context import HKT, aware, close_db

logger = logging.getLogger(__name__)

# The console loads nothing from elsewhere and runs no inline script or style.
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONSOLE_CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: Flask-WTF checks the Referer of POSTs made over HTTPS.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
# Pages of other blueprints set their own policy (the widget talks to the Rasa server);
# these are safe for any page and added when missing.
BASELINE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

csrf = CSRFProtect()


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or get_settings()
    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.config.update(
        SAFESHARE_SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="safeshare_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.console_idle_minutes),
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the (server-side, expiring) login
        MAX_CONTENT_LENGTH=1024 * 1024,
        JSON_AS_ASCII=False,
        TEMPLATES_AUTO_RELOAD=False,
    )
    csrf.init_app(app)
    if settings.trusted_proxies > 0:
        # Behind a TLS-terminating proxy: the real client IP (login throttling, audit) and scheme.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    from safeshare.web import public
    from safeshare.web.console import bp as console_bp

    app.register_blueprint(console_bp)
    csrf.exempt(public.bp)  # anonymous pages: no login cookie to protect
    app.register_blueprint(public.bp)

    app.teardown_appcontext(close_db)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.jinja_env.filters["hkt"] = _hkt
    app.jinja_env.filters["age"] = _age
    app.jinja_env.filters["duration"] = _duration

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/")
    def index() -> Response:
        return redirect("/demo")

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return redirect(url_for("static", filename="console/favicon.svg"))

    return app


def _security_headers(response: Response) -> Response:
    if request.blueprint in (None, "console"):
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
    else:
        for name, value in BASELINE_HEADERS.items():
            response.headers.setdefault(name, value)
    if request.blueprint == "console" or request.path.startswith("/console"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    logger.info("refused a POST to %s: %s", request.path, error.description)
    return render_template(
        "console/error.html",
        code=400,
        title="Form expired",
        message="This form is no longer valid (its security token is missing "
        "or expired). Go back, reload the page and try again.",
    ), 400


def _http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
    if not request.path.startswith("/console") or error.code is None or error.code < 400:
        return error
    titles = {403: "Not allowed", 404: "Not found", 405: "Not allowed", 429: "Too many requests"}
    messages = {
        403: "Your role does not allow this. Ask an admin if you need it.",
        404: "There is nothing here. The inquiry may have been deleted.",
    }
    code = error.code or 500
    return render_template(
        "console/error.html",
        code=code,
        title=titles.get(code, error.name),
        message=messages.get(code, error.description),
    ), code


def _hkt(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    value = aware(value)
    return value.astimezone(HKT).strftime(fmt) if value else ""


def _age(value: datetime | None, moment: datetime | None = None) -> str:
    value = aware(value)
    if value is None:
        return ""
    from safeshare.web.console.context import now

    return _duration((moment or now()) - value)


def _duration(delta: timedelta | None) -> str:
    if delta is None:
        return "–"
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 3600:
        return f"{max(1, seconds // 60)} min"
    if seconds < 86400 * 2:
        return (
            f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
            if seconds < 36000
            else f"{seconds // 3600} h"
        )
    return f"{seconds // 86400} d"
