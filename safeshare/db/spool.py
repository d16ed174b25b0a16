"""A durable local spool, so an inquiry (or a 👍/👎) is never lost while the database is down.

`submit_inquiry` tries the database; if it cannot be reached, the (already redacted) inquiry is
written to `var/spool/<reference>.json` (write, fsync, rename: a file is either whole or absent)
and the user still gets their reference. `flush` moves spooled inquiries into the database; the
unique reference makes a retried insert a no-op, so each inquiry arrives exactly once.
`submit_feedback` does the same for feedback (`FB-<uuid>.json`; the uuid is stored as the row's
unique `spool_id`). Feedback carries no text: a topic, a vote, a language, a channel, a pseudonym.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from safeshare.db.models import utcnow
from safeshare.db.repository import NewInquiry, create_inquiry, record_feedback
from safeshare.db.session import default_engine, session_scope
from safeshare.errors import StoreUnavailable
from safeshare.settings import get_settings

logger = logging.getLogger(__name__)
_lock = threading.Lock()


def spool_dir() -> Path:
    path = get_settings().spool_dir
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


@dataclass
class NewFeedback:
    topic: str
    helpful: bool
    language: str
    channel: str
    sender_key: str
    spool_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = field(default_factory=lambda: utcnow().isoformat())


def _write_atomically(directory: Path, name: str, payload: bytes) -> Path:
    final = directory / name
    tmp = directory / f".{name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return final


def write_to_spool(new: NewInquiry, directory: Path | None = None) -> Path:
    payload = json.dumps(asdict(new.redacted()), ensure_ascii=False).encode()
    return _write_atomically(directory or spool_dir(), f"{new.reference}.json", payload)


def write_feedback_to_spool(new: NewFeedback, directory: Path | None = None) -> Path:
    payload = json.dumps(asdict(new), ensure_ascii=False).encode()
    return _write_atomically(directory or spool_dir(), f"FB-{new.spool_id}.json", payload)


def _store_feedback(session: Session, new: NewFeedback, *, spooled: bool) -> None:
    """A spooled vote keeps its spool id (a repeated flush stores it once); a direct one has none."""
    record_feedback(
        session,
        topic=new.topic,
        helpful=new.helpful,
        language=new.language,
        channel=new.channel,
        sender=new.sender_key,
        spool_id=new.spool_id if spooled else None,
        created_at=datetime.fromisoformat(new.created_at),
    )


def submit_feedback(new: NewFeedback, engine: Engine | None = None) -> bool:
    """Store the vote; True if it reached the database, False if it was spooled."""
    try:
        with session_scope(engine or default_engine()) as session:
            _store_feedback(session, new, spooled=False)
        return True
    except StoreUnavailable as error:
        logger.warning("%s; spooling feedback", error)
        write_feedback_to_spool(new)
        return False


def submit_inquiry(new: NewInquiry, engine: Engine | None = None) -> bool:
    """Store the inquiry; True if it reached the database, False if it was spooled."""
    try:
        flush(engine)
        with session_scope(engine or default_engine()) as session:
            create_inquiry(session, new)
        return True
    except StoreUnavailable as error:
        logger.warning("%s; spooling %s", error, new.reference)
        write_to_spool(new)
        return False


def pending(directory: Path | None = None) -> list[Path]:
    """Spooled inquiries and feedback, oldest kind first (inquiries matter more)."""
    directory = directory or spool_dir()
    return sorted(directory.glob("SS-*.json")) + sorted(directory.glob("FB-*.json"))


def flush(engine: Engine | None = None, directory: Path | None = None) -> int:
    """Write spooled inquiries and feedback to the database; returns how many were moved."""
    moved = 0
    with _lock:
        for path in pending(directory):
            data = json.loads(path.read_text(encoding="utf-8"))
            with session_scope(engine or default_engine()) as session:
                if path.name.startswith("FB-"):
                    _store_feedback(session, NewFeedback(**data), spooled=True)
                else:
                    create_inquiry(session, NewInquiry(**data))
            path.unlink()
            moved += 1
    if moved:
        logger.info("moved %d spooled items into the database", moved)
    return moved


_flusher: threading.Thread | None = None


def ensure_background_flush(interval: float = 30.0) -> None:
    """Start (once per process) a daemon thread that retries spooled inquiries every `interval` s."""
    global _flusher
    if _flusher is not None and _flusher.is_alive():
        return

    def _loop() -> None:
        stop = threading.Event()
        while not stop.wait(interval):
            if not pending():
                continue
            try:
                flush()
            except StoreUnavailable:
                logger.info("inquiry database still unavailable; %d spooled", len(pending()))

    _flusher = threading.Thread(target=_loop, name="spool-flush", daemon=True)
    _flusher.start()
