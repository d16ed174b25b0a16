"""A durable local spool, so an inquiry is never lost while the database is down.

`submit_inquiry` tries the database; if it cannot be reached, the (already redacted) inquiry is
written to `var/spool/<reference>.json` (write, fsync, rename: a file is either whole or absent)
and the user still gets their reference. `flush` moves spooled inquiries into the database; the
unique reference makes a retried insert a no-op, so each inquiry arrives exactly once.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import asdict
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from safeshare.db.repository import NewInquiry, create_inquiry
from safeshare.db.session import default_engine, session_scope
from safeshare.settings import get_settings

logger = logging.getLogger(__name__)
_lock = threading.Lock()


def spool_dir() -> Path:
    path = get_settings().spool_dir
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def write_to_spool(new: NewInquiry, directory: Path | None = None) -> Path:
    directory = directory or spool_dir()
    final = directory / f"{new.reference}.json"
    tmp = directory / f".{new.reference}.json.tmp"
    payload = json.dumps(asdict(new.redacted()), ensure_ascii=False).encode()
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


def submit_inquiry(new: NewInquiry, engine: Engine | None = None) -> bool:
    """Store the inquiry; True if it reached the database, False if it was spooled."""
    try:
        flush(engine)
        with session_scope(engine or default_engine()) as session:
            create_inquiry(session, new)
        return True
    except (OperationalError, DBAPIError) as error:
        logger.warning("inquiry database unavailable (%s); spooling %s", type(error).__name__, new.reference)
        write_to_spool(new)
        return False


def pending(directory: Path | None = None) -> list[Path]:
    directory = directory or spool_dir()
    return sorted(directory.glob("SS-*.json"))


def flush(engine: Engine | None = None, directory: Path | None = None) -> int:
    """Write spooled inquiries to the database; returns how many were moved."""
    moved = 0
    with _lock:
        for path in pending(directory):
            new = NewInquiry(**json.loads(path.read_text(encoding="utf-8")))
            with session_scope(engine or default_engine()) as session:
                create_inquiry(session, new)
            path.unlink()
            moved += 1
    if moved:
        logger.info("moved %d spooled inquiries into the database", moved)
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
            except (OperationalError, DBAPIError):
                logger.info("inquiry database still unavailable; %d spooled", len(pending()))

    _flusher = threading.Thread(target=_loop, name="spool-flush", daemon=True)
    _flusher.start()
