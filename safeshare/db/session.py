"""Engines and sessions, created lazily (nothing connects at import), and the one boundary where
"the database cannot be reached" becomes `StoreUnavailable`.

SQLAlchemy reports an unreachable or vanished database as OperationalError, InterfaceError, a
pool TimeoutError or an error that invalidated the connection; `session_scope` (and
`store_errors`, for other uses of an engine) raise StoreUnavailable for those, so callers catch
one exception of the project's own and never import `sqlalchemy.exc`. Other database errors (a
constraint, a bad query) are bugs or races, not outages, and pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from safeshare.errors import StoreUnavailable
from safeshare.settings import get_settings

UNREACHABLE = (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError, exc.TimeoutError)


def create_engine(url: str) -> Engine:
    parsed = make_url(url)
    kwargs: dict = {"future": True, "pool_pre_ping": True}
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 15, "check_same_thread": False}
    else:
        kwargs["connect_args"] = {"connect_timeout": 5}
        kwargs["pool_size"] = 5
    engine = sa.create_engine(url, **kwargs)
    if parsed.drivername.startswith("sqlite"):

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()

    return engine


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    return create_engine(url)


def default_engine() -> Engine:
    return engine_for(get_settings().database_url)


def session_factory(engine: Engine | None = None) -> sessionmaker:
    return sessionmaker(bind=engine or default_engine(), future=True, expire_on_commit=False)


def unreachable(error: BaseException) -> bool:
    """The database could not be reached or went away (not: it refused what was asked)."""
    return isinstance(error, UNREACHABLE) or (
        isinstance(error, exc.DBAPIError) and bool(error.connection_invalidated)
    )


@contextmanager
def store_errors(what: str = "the database") -> Iterator[None]:
    """Raise StoreUnavailable for an unreachable database inside the block (see the docstring)."""
    try:
        yield
    except exc.SQLAlchemyError as error:
        if unreachable(error):
            raise StoreUnavailable(f"{what} is unavailable ({type(error).__name__})") from error
        raise


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One short transaction: commit on success, roll back on error; StoreUnavailable when the
    database cannot be reached."""
    with store_errors():
        session: Session = session_factory(engine)()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
