"""Console logins: server-side sessions, throttling, roles and the audit log.

- The browser holds a random token in Flask's signed session cookie (HttpOnly, SameSite=Lax,
  Secure when configured); the database holds its SHA-256 in `staff_sessions`. A login always
  starts a new token (no session fixation); logout, deactivation and idle expiry delete the row,
  so a copied cookie stops working too.
- Throttling: an account is locked for `CONSOLE_LOCKOUT_MINUTES` after `CONSOLE_MAX_FAILED_LOGINS`
  failures in a row; a client IP is refused after `CONSOLE_IP_MAX_FAILURES` failed logins within
  `CONSOLE_IP_WINDOW_MINUTES` (counted from the audit log, so it holds across processes).
- Every sign-in, sign-out, failure and staff action is written to `audit_log` with the user and IP.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort, current_app, flash, g, redirect, request, session, url_for

from safeshare.db.models import AuditLog, Role, StaffSession, StaffUser
from safeshare.errors import AuthError, LoginThrottled
from safeshare.web import accounts
from safeshare.web.console.context import aware, client_ip, db, now, settings

DEFAULTS = {
    "CONSOLE_MAX_FAILED_LOGINS": 5,
    "CONSOLE_LOCKOUT_MINUTES": 15,
    "CONSOLE_IP_MAX_FAILURES": 20,
    "CONSOLE_IP_WINDOW_MINUTES": 15,
    "CONSOLE_SESSION_MAX_HOURS": 12,
}
TOUCH_EVERY = timedelta(seconds=60)
# Failure messages: the same words whether the name or the password was wrong.
BAD_CREDENTIALS = "Wrong username or password."
THROTTLED = "Too many failed sign-ins. Wait a few minutes and try again."

F = TypeVar("F", bound=Callable[..., Any])


def _config(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def audit(
    action: str,
    target: str | None = None,
    detail: str | None = None,
    user: StaffUser | None = None,
    username: str | None = None,
) -> None:
    """Add an audit row to the request's transaction (the caller commits)."""
    user = user or g.get("user")
    db().add(
        AuditLog(
            user_id=user.id if user else None,
            username=(user.username if user else username or None),
            action=action,
            target=target,
            detail=detail,
            ip=client_ip(),
            created_at=now(),
        )
    )


def current_user() -> StaffUser | None:
    return g.get("user")


def load_user() -> StaffUser | None:
    """The signed-in user for this request, or None (expired, logged out, deactivated)."""
    token = session.get("sid")
    if not token:
        return None
    row = db().get(StaffSession, _digest(str(token)))
    moment = now()
    expired = row is None or (
        moment - aware(row.last_seen_at) > timedelta(minutes=settings().console_idle_minutes)
        or moment - aware(row.created_at) > timedelta(hours=_config("CONSOLE_SESSION_MAX_HOURS"))
        or not row.user.active
    )
    if expired:
        if row is not None:
            db().delete(row)
            db().commit()
        session.clear()
        g.session_expired = True
        return None
    if moment - aware(row.last_seen_at) > TOUCH_EVERY:
        row.last_seen_at = moment
        db().commit()
    g.user = row.user
    return row.user


def _ip_throttled() -> bool:
    since = now() - timedelta(minutes=_config("CONSOLE_IP_WINDOW_MINUTES"))
    failures = (
        db()
        .execute(
            sa.select(sa.func.count(AuditLog.id)).where(
                AuditLog.action == "login_failed",
                AuditLog.ip == client_ip(),
                AuditLog.created_at >= since,
            )
        )
        .scalar_one()
    )
    return int(failures) >= _config("CONSOLE_IP_MAX_FAILURES")


def authenticate(username: str, password: str) -> StaffUser:
    """Check a sign-in; raises LoginThrottled or AuthError (and records the failure)."""
    session_db = db()
    if _ip_throttled():
        audit(
            "login_failed",
            target=username[:64],
            detail="refused: too many failures from IP",
            username=username[:64],
        )
        session_db.commit()
        raise LoginThrottled(THROTTLED)
    user = accounts.get_user(session_db, username)
    moment = now()
    if user is not None and user.locked_until and aware(user.locked_until) > moment:
        audit("login_failed", target=user.username, detail="refused: account locked", username=user.username)
        session_db.commit()
        raise LoginThrottled(THROTTLED)
    valid = accounts.verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.active:
        detail = "unknown user" if user is None else ("inactive account" if valid else "wrong password")
        if user is not None and not valid:
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= _config("CONSOLE_MAX_FAILED_LOGINS"):
                user.locked_until = moment + timedelta(minutes=_config("CONSOLE_LOCKOUT_MINUTES"))
                user.failed_logins = 0
                detail += "; account locked"
        audit(
            "login_failed",
            target=(user.username if user else username[:64]),
            detail=detail,
            username=username[:64],
        )
        session_db.commit()
        raise AuthError(BAD_CREDENTIALS)
    user.failed_logins = 0
    user.locked_until = None
    if accounts.needs_rehash(user.password_hash):
        user.password_hash = accounts.hash_password(password)
    return user


def start_session(user: StaffUser) -> None:
    """A fresh token for a fresh login; the old cookie contents (and CSRF token) are dropped."""
    moment = now()
    stale = moment - timedelta(minutes=settings().console_idle_minutes)
    db().execute(
        sa.delete(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.last_seen_at < stale)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    db().add(
        StaffSession(
            id=_digest(token), user_id=user.id, ip=client_ip(), created_at=moment, last_seen_at=moment
        )
    )
    session.clear()
    session["sid"] = token
    g.user = user
    audit("login", target=user.username, user=user)
    db().commit()


def end_session() -> None:
    token = session.get("sid")
    if token:
        row = db().get(StaffSession, _digest(str(token)))
        if row is not None:
            db().delete(row)
    session.clear()


def end_all_sessions(user: StaffUser) -> None:
    db().execute(
        sa.delete(StaffSession)
        .where(StaffSession.user_id == user.id)
        .execution_options(synchronize_session=False)
    )


def safe_next(target: str | None) -> str:
    """Only paths inside the console: never an open redirect."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("console.queue")


def require_login() -> Any:
    """Blueprint hook: everything but the login page needs a signed-in user."""
    if request.endpoint in {"console.login"}:
        return None
    if load_user() is None:
        if g.get("session_expired"):
            flash("Your session ended. Please sign in again.", "info")
        wanted = request.full_path if request.method == "GET" else None
        return redirect(url_for("console.login", next=(wanted or "").rstrip("?") or None))
    return None


def admin_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None or user.role != Role.admin.value:
            abort(403)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
