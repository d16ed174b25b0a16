"""The web app shell: health check, the root redirect, static files under the same policy."""

from __future__ import annotations

from flask import Flask


def test_healthz(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_root_redirects_to_the_demo(app: Flask) -> None:
    response = app.test_client().get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/demo"


def test_stylesheet_is_served_locally(app: Flask) -> None:
    response = app.test_client().get("/static/console/console.css")
    assert response.status_code == 200 and b"--brand" in response.data
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_console_without_trailing_slash_redirects(app: Flask) -> None:
    response = app.test_client().get("/console")
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/console/")
