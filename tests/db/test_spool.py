"""The database-outage test: inquiries made while the database is down are spooled, and each
arrives exactly once when it is back."""

import json
import os

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from safeshare import identity
from safeshare.db import repository, spool
from safeshare.db.models import Inquiry
from safeshare.db.session import create_engine, session_scope
from tests.fakes.tcp_proxy import TcpProxy


def _new(i: int) -> repository.NewInquiry:
    return repository.NewInquiry(
        reference=identity.new_reference(),
        channel="rest",
        sender_key=f"s{i}",
        language="en",
        question=f"question {i}: call me on 9123 4567",
        reason="human_handoff",
    )


def test_spool_file_is_redacted_and_private(tmp_path):
    path = spool.write_to_spool(_new(1), tmp_path)
    data = json.loads(path.read_text())
    assert "9123" not in path.read_text() and "[PHONE]" in data["question"]
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.postgres
def test_postgres_outage_mid_run_loses_nothing_and_duplicates_nothing(postgres_url, tmp_path, monkeypatch):
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    monkeypatch.setenv("SAFESHARE_VAR_DIR", str(tmp_path))
    from safeshare.settings import get_settings

    get_settings.cache_clear()
    engine = create_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    try:
        made = [_new(i) for i in range(9)]
        results = []
        for i, new in enumerate(made):
            if i == 3:
                proxy.cut()  # the database goes away mid-run
            if i == 6:
                proxy.restore()
            results.append(spool.submit_inquiry(new, engine))
        assert results[:3] == [True] * 3
        assert results[3:6] == [False] * 3
        # once it is back, the next submit flushes the spool first
        assert results[6:] == [True] * 3
        assert spool.pending() == []
        spool.flush(engine)  # a second flush is a no-op
        with session_scope(engine) as session:
            refs = session.execute(sa.select(Inquiry.reference)).scalars().all()
        assert sorted(refs) == sorted(n.reference for n in made)
    finally:
        engine.dispose()
        proxy.close()
        get_settings.cache_clear()


def test_sqlite_outage_then_flush_exactly_once(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFESHARE_VAR_DIR", str(tmp_path / "var"))
    from safeshare.db.migrate import upgrade
    from safeshare.settings import get_settings

    get_settings.cache_clear()
    db = tmp_path / "db" / "store.db"
    db.parent.mkdir()
    good = create_engine(f"sqlite:///{db}")
    upgrade(f"sqlite:///{db}")
    broken = create_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}?mode=ro")
    try:
        down = [_new(i) for i in range(3)]
        for new in down:
            assert spool.submit_inquiry(new, _unreachable(tmp_path)) is False
        assert len(spool.pending()) == 3
        assert spool.flush(good) == 3
        assert spool.flush(good) == 0
        with session_scope(good) as session:
            assert session.execute(sa.select(sa.func.count(Inquiry.id))).scalar_one() == 3
    finally:
        good.dispose()
        broken.dispose()
        get_settings.cache_clear()


def _unreachable(tmp_path):
    """An engine whose database file cannot be opened (a directory where the file should be)."""
    target = tmp_path / "is_a_directory.db"
    target.mkdir(exist_ok=True)
    return sa.create_engine(f"sqlite:///{target}", future=True)


def test_feedback_during_an_outage_arrives_exactly_once(tmp_path, monkeypatch):
    """A 👍 given while the database is down is spooled; a flush that is repeated (as after a crash
    between the insert and the file's removal) does not store it twice."""
    from safeshare.db.migrate import upgrade
    from safeshare.db.models import Feedback
    from safeshare.settings import get_settings

    monkeypatch.setenv("SAFESHARE_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    db = tmp_path / "store.db"
    upgrade(f"sqlite:///{db}")
    good = create_engine(f"sqlite:///{db}")
    try:
        votes = [
            spool.NewFeedback(
                topic="deepfake_explained", helpful=i % 2 == 0, language="zh", channel="rest", sender_key="s1"
            )
            for i in range(3)
        ]
        assert all(spool.submit_feedback(v, _unreachable(tmp_path)) is False for v in votes)
        files = spool.pending()
        assert [p.name[:3] for p in files] == ["FB-"] * 3
        copies = {p: p.read_bytes() for p in files}
        assert spool.flush(good) == 3
        for path, content in copies.items():  # the files come back: flushed again, stored once
            path.write_bytes(content)
        assert spool.flush(good) == 3
        with session_scope(good) as session:
            rows = session.execute(sa.select(Feedback)).scalars().all()
            assert len(rows) == 3
            assert sorted(r.spool_id for r in rows) == sorted(v.spool_id for v in votes)
            assert {(r.topic, r.language, r.sender_key) for r in rows} == {("deepfake_explained", "zh", "s1")}
        assert spool.submit_feedback(votes[0], good) is True  # direct: no spool id, a new row
        with session_scope(good) as session:
            assert session.execute(sa.select(sa.func.count(Feedback.id))).scalar_one() == 4
    finally:
        good.dispose()
        get_settings.cache_clear()
