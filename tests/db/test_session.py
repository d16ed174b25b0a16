"""Sessions (safeshare/db/session.py): one short transaction each, and an unreachable database
reported as StoreUnavailable while other database errors pass through unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import exc

from safeshare.db.models import Feedback
from safeshare.db.session import create_engine, session_scope, store_errors
from safeshare.errors import StoreUnavailable
from safeshare.launcher import free_port


def vote(sender: str) -> Feedback:
    return Feedback(topic="t", helpful=True, channel="rest", sender_key=sender, spool_id=sender)


def test_commits_on_success_and_rolls_back_on_error(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    with session_scope(engine) as session:
        session.add(vote("kept"))
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(vote("dropped"))
        session.flush()
        raise RuntimeError("a bug in the caller")
    with session_scope(engine) as session:
        assert session.execute(sa.select(Feedback.sender_key)).scalars().all() == ["kept"]
    engine.dispose()


def test_an_unreachable_database_is_store_unavailable(tmp_path: Path) -> None:
    postgres = create_engine(f"postgresql+psycopg2://nobody@127.0.0.1:{free_port()}/none")
    with pytest.raises(StoreUnavailable, match="unavailable") as raised, session_scope(postgres) as session:
        session.execute(sa.text("SELECT 1"))
    assert isinstance(raised.value.__cause__, exc.OperationalError)
    unopenable = create_engine(f"sqlite:///{tmp_path}")  # a directory, not a database file
    with pytest.raises(StoreUnavailable), session_scope(unopenable) as session:
        session.execute(sa.text("SELECT 1"))


def test_other_database_errors_pass_through(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    with session_scope(engine) as session:
        session.add(vote("twice"))
    with pytest.raises(exc.IntegrityError), session_scope(engine) as session:
        session.add(vote("twice"))  # the unique spool_id: a race or a bug, not an outage
    with pytest.raises(exc.ProgrammingError), store_errors():
        raise exc.ProgrammingError("SELECT nonsense", {}, Exception("syntax error"))
    engine.dispose()
