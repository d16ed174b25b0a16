"""Per-request resources of the console: the app's settings, one database session, the clock.

The session is opened on first use in a request and closed when the request ends (rolled back if a
view did not commit), so each page is one short transaction or a few explicit ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app, g, request
from sqlalchemy.orm import Session

from safeshare.db.session import engine_for, session_factory
from safeshare.settings import Settings

HKT = timezone(timedelta(hours=8), "HKT")  # Hong Kong has no daylight saving time


def settings() -> Settings:
    return current_app.config["SAFESHARE_SETTINGS"]


def db() -> Session:
    if "console_db" not in g:
        g.console_db = session_factory(engine_for(settings().database_url))()
    return g.console_db


def close_db(_error: BaseException | None = None) -> None:
    session: Session | None = g.pop("console_db", None)
    if session is not None:
        session.rollback()
        session.close()


def now() -> datetime:
    return datetime.now(timezone.utc)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def client_ip() -> str:
    return (request.remote_addr or "unknown")[:45]
