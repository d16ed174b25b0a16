"""Logins, sessions, CSRF, roles and throttling of the staff console."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import Flask

from safeshare.db.models import AuditLog, Inquiry, StaffSession, StaffUser
from safeshare.settings import Settings
from tests.console.conftest import CSRF, PASSWORD, Console, make_inquiry, make_user, store

PARAMS = {"reference": "SS-ABCDE", "example_id": 1, "user_id": 1, "notification_id": 1}


def console_routes(app: Flask, method: str) -> list[str]:
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("console.") or rule.endpoint == "console.login":
                continue
            if method in (rule.methods or set()):
                args = {name: PARAMS[name] for name in rule.arguments}
                urls.append(app.url_for(rule.endpoint, **args))
    return sorted(urls)


def test_the_console_has_the_expected_pages(app: Flask) -> None:
    pages = console_routes(app, "GET")
    for page in (
        "/console/",
        "/console/inquiries/SS-ABCDE",
        "/console/dashboard",
        "/console/training",
        "/console/training/export.yml",
        "/console/topics",
        "/console/users",
        "/console/audit",
    ):
        assert page in pages


def test_every_console_page_redirects_to_login(app: Flask, settings: Settings, console: Console) -> None:
    make_inquiry(settings, question="A secret question nobody may read")
    for url in console_routes(app, "GET"):
        response = console.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/console/login"), url
        assert b"secret question" not in response.data
    # POSTs with a valid CSRF token but no login change nothing.
    for url in console_routes(app, "POST"):
        data = {"answer": "x", "body": "x", "confirm": "y", "priority": "urgent"}
        response = console.post(url, data, page="/console/login")
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/console/login"), url
    with store(settings) as session:
        inquiry = session.execute(sa.select(Inquiry)).scalar_one()
        assert inquiry.status == "new" and inquiry.staff_answer is None
        assert inquiry.priority == "normal"


def test_login_page_is_public_and_next_is_kept(app: Flask, settings: Settings, console: Console) -> None:
    make_inquiry(settings)
    response = console.get("/console/inquiries/SS-ABCDE")
    assert response.headers["Location"] == "/console/login?next=/console/inquiries/SS-ABCDE"
    make_user(settings, "rita")
    token = console.token("/console/login?next=/console/inquiries/SS-ABCDE")
    response = console.client.post(
        "/console/login?next=/console/inquiries/SS-ABCDE",
        data={"csrf_token": token, "username": "rita", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/console/inquiries/SS-ABCDE"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/demo"])
def test_login_never_redirects_outside_the_console(settings: Settings, console: Console, target: str) -> None:
    make_user(settings, "rita")
    token = console.token()
    response = console.client.post(
        f"/console/login?next={target}", data={"csrf_token": token, "username": "rita", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/console/"


def test_posts_without_csrf_token_are_refused(app: Flask, settings: Settings, reviewer: Console) -> None:
    make_inquiry(settings)
    for url in console_routes(app, "POST"):
        response = reviewer.client.post(url, data={"answer": "hello", "body": "note"})
        assert response.status_code == 400, url
        assert b"security token" in response.data
    response = reviewer.client.post(
        "/console/inquiries/SS-ABCDE/answer", data={"answer": "hi", "csrf_token": "forged"}
    )
    assert response.status_code == 400
    with store(settings) as session:
        assert session.execute(sa.select(Inquiry.staff_answer)).scalar_one() is None
    # Still signed in: the refused logout did not log out.
    assert reviewer.get("/console/").status_code == 200


def test_login_without_csrf_token_is_refused(settings: Settings, console: Console) -> None:
    make_user(settings, "rita")
    response = console.client.post("/console/login", data={"username": "rita", "password": PASSWORD})
    assert response.status_code == 400
    assert console.get("/console/").status_code == 302


ADMIN_ACTIONS = [
    ("GET", "/console/users", {}),
    (
        "POST",
        "/console/users",
        {
            "username": "mallory",
            "role": "admin",
            "password": "a long enough password",
            "confirm": "a long enough password",
        },
    ),
    ("POST", "/console/users/1/active", {"active": "0"}),
    ("POST", "/console/users/1/unlock", {}),
    ("GET", "/console/audit", {}),
    ("GET", "/console/training/export.yml", {}),
    ("POST", "/console/inquiries/SS-ABCDE/delete", {"confirm": "y"}),
    ("POST", "/console/training/1/delete", {}),
]


def test_reviewer_cannot_do_admin_actions(settings: Settings, reviewer: Console) -> None:
    make_inquiry(settings)
    for method, url, data in ADMIN_ACTIONS:
        response = reviewer.get(url) if method == "GET" else reviewer.post(url, data)
        assert response.status_code == 403, url
        assert b"Your role does not allow this" in response.data
    with store(settings) as session:
        assert session.execute(sa.select(Inquiry.reference)).scalar_one() == "SS-ABCDE"
        assert session.execute(sa.select(StaffUser).where(StaffUser.username == "mallory")).first() is None
    page = reviewer.get("/console/").get_data(as_text=True)
    assert "Audit log" not in page and "/console/users" not in page


def test_admin_can_do_admin_actions(settings: Settings, admin: Console) -> None:
    make_inquiry(settings)
    assert admin.get("/console/users").status_code == 200
    assert admin.get("/console/audit").status_code == 200
    response = admin.post(
        "/console/users",
        {
            "username": "rita",
            "role": "reviewer",
            "password": "another fine passphrase",
            "confirm": "another fine passphrase",
        },
    )
    assert response.status_code == 302
    response = admin.post("/console/inquiries/SS-ABCDE/delete", {"confirm": "y"})
    assert response.status_code == 302
    with store(settings) as session:
        assert session.execute(sa.select(Inquiry)).first() is None
        assert (
            session.execute(sa.select(StaffUser.role).where(StaffUser.username == "rita")).scalar_one()
            == "reviewer"
        )


def test_admin_delete_needs_the_confirmation_box(settings: Settings, admin: Console) -> None:
    make_inquiry(settings)
    admin.post("/console/inquiries/SS-ABCDE/delete", {})
    with store(settings) as session:
        assert session.execute(sa.select(Inquiry.reference)).scalar_one() == "SS-ABCDE"


def test_account_locks_after_repeated_failures(app: Flask, settings: Settings, console: Console) -> None:
    make_user(settings, "rita")
    limit = 5
    for attempt in range(limit):
        response = console.login("rita", "wrong password " + str(attempt))
        assert response.status_code == 401
        assert b"Wrong username or password." in response.data
    # Locked: even the right password is refused now.
    response = console.login("rita", PASSWORD)
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.data
    assert console.get("/console/").status_code == 302
    with store(settings) as session:
        user = session.execute(sa.select(StaffUser)).scalar_one()
        locked_until = user.locked_until.replace(tzinfo=timezone.utc)
        assert locked_until > datetime.now(timezone.utc) + timedelta(minutes=14)
        failures = (
            session.execute(
                sa.select(AuditLog.detail).where(AuditLog.action == "login_failed").order_by(AuditLog.id)
            )
            .scalars()
            .all()
        )
        assert len(failures) == limit + 1
        assert failures[limit - 1] == "wrong password; account locked"
        assert failures[limit] == "refused: account locked"
        # The lock runs out.
        user.locked_until = datetime.now(timezone.utc) - timedelta(seconds=1)
    assert console.login("rita", PASSWORD).status_code == 302
    assert console.get("/console/").status_code == 200


def test_admin_can_unlock_an_account(settings: Settings, admin: Console, app: Flask) -> None:
    rita = make_user(settings, "rita")
    other = Console(app.test_client())
    for _ in range(5):
        other.login("rita", "nope nope nope")
    assert other.login("rita", PASSWORD).status_code == 429
    admin.post(f"/console/users/{rita}/unlock", page="/console/users")
    assert other.login("rita", PASSWORD).status_code == 302


def test_ip_is_throttled_across_accounts(app: Flask, settings: Settings, console: Console) -> None:
    app.config["CONSOLE_IP_MAX_FAILURES"] = 3
    make_user(settings, "rita")
    for name in ("alice", "bob", "carol"):  # unknown names: no account lock involved
        assert console.login(name, "guess guess guess").status_code == 401
    response = console.login("rita", PASSWORD)
    assert response.status_code == 429
    assert console.get("/console/").status_code == 302
    with store(settings) as session:
        assert session.execute(sa.select(StaffUser.failed_logins)).scalar_one() == 0
        assert (
            session.execute(
                sa.select(sa.func.count())
                .select_from(AuditLog)
                .where(AuditLog.detail == "refused: too many failures from IP")
            ).scalar_one()
            == 1
        )


def test_unknown_and_inactive_accounts_get_the_same_answer(
    settings: Settings, admin: Console, app: Flask
) -> None:
    rita = make_user(settings, "rita")
    admin.post(f"/console/users/{rita}/active", {"active": "0"}, page="/console/users")
    other = Console(app.test_client())
    inactive = other.login("rita", PASSWORD)
    unknown = other.login("nobody", PASSWORD)
    assert inactive.status_code == unknown.status_code == 401
    assert b"Wrong username or password." in inactive.data
    assert b"Wrong username or password." in unknown.data


def test_session_cookie_flags_and_fresh_session_on_login(settings: Settings, console: Console) -> None:
    make_user(settings, "rita")
    console.get("/console/login")
    before = console.client.get_cookie("safeshare_session").value
    response = console.login("rita")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    after = console.client.get_cookie("safeshare_session").value
    assert after != before
    with store(settings) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(StaffSession)).scalar_one() == 1


def test_secure_cookie_when_configured(settings: Settings) -> None:
    import dataclasses

    from safeshare.web.app import create_app

    app = create_app(dataclasses.replace(settings, cookie_secure=True))
    make_user(settings, "rita")
    client = app.test_client()
    base = "https://console.example"
    page = client.get("/console/login", base_url=base)
    token = CSRF.search(page.get_data(as_text=True)).group(1)
    response = client.post(
        "/console/login",
        base_url=base,
        headers={"Referer": f"{base}/console/login"},
        data={"csrf_token": token, "username": "rita", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_logout_ends_the_session_for_a_copied_cookie_too(
    settings: Settings, app: Flask, reviewer: Console
) -> None:
    stolen = reviewer.client.get_cookie("safeshare_session").value
    assert reviewer.post("/console/logout").status_code == 302
    assert reviewer.get("/console/").status_code == 302
    thief = app.test_client()
    thief.set_cookie("safeshare_session", stolen)
    response = thief.get("/console/")
    assert response.status_code == 302
    with store(settings) as session:
        assert session.execute(sa.select(StaffSession)).first() is None


def test_idle_session_expires(settings: Settings, reviewer: Console) -> None:
    assert reviewer.get("/console/").status_code == 200
    with store(settings) as session:
        row = session.execute(sa.select(StaffSession)).scalar_one()
        row.last_seen_at = datetime.now(timezone.utc) - timedelta(minutes=settings.console_idle_minutes + 1)
    response = reviewer.get("/console/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login")
    assert b"Your session ended" in reviewer.get("/console/login").data


def test_deactivation_ends_open_sessions(settings: Settings, admin: Console, app: Flask) -> None:
    rita = make_user(settings, "rita")
    other = Console(app.test_client())
    other.login("rita")
    assert other.get("/console/").status_code == 200
    admin.post(f"/console/users/{rita}/active", {"active": "0"}, page="/console/users")
    assert other.get("/console/").status_code == 302


def test_security_headers(reviewer: Console) -> None:
    for url in ("/console/", "/console/login", "/console/dashboard"):
        response = reviewer.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"


def test_pages_load_nothing_from_elsewhere(settings: Settings, admin: Console) -> None:
    make_inquiry(settings)
    for url in (
        "/console/",
        "/console/inquiries/SS-ABCDE",
        "/console/dashboard",
        "/console/users",
        "/console/audit",
        "/console/training",
        "/console/topics",
    ):
        html = admin.get(url).get_data(as_text=True)
        assert "http://" not in html and "https://" not in html, url
        assert "<script" not in html and "style=" not in html, url


def test_client_ip_behind_a_trusted_proxy(settings: Settings) -> None:
    import dataclasses

    from safeshare.web.app import create_app

    app = create_app(dataclasses.replace(settings, trusted_proxies=1))
    console = Console(app.test_client())
    make_user(settings, "rita")
    token = console.token()
    console.client.post(
        "/console/login",
        headers={"X-Forwarded-For": "203.0.113.9"},
        data={"csrf_token": token, "username": "rita", "password": "wrong one!"},
    )
    with store(settings) as session:
        assert (
            session.execute(sa.select(AuditLog.ip).where(AuditLog.action == "login_failed")).scalar_one()
            == "203.0.113.9"
        )
