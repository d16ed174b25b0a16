"""Rasa's SQL tracker store, made to keep only what SafeShare may keep.

- Redaction: user text, parse data, entity values and slot values pass through
  `safeshare.redaction` before they are written; message metadata (which carries the address a
  staff answer is sent to) is not written at all.
- Erasure: when a turn ran `action_forget_my_data`, the store deletes every stored event of that
  conversation instead of appending the turn.
- Configuration from the environment (`TRACKER_DB_URL`): SQLite under `var/` by default,
  PostgreSQL in the scaled set-up, with the same `endpoints.yml`.
- SQLite in write-ahead-log mode with `synchronous=NORMAL`: Rasa's default (a rollback journal,
  an fsync per commit) spent ~11% of the Rasa process's CPU waiting on commits under load. A
  turn is still durable if Rasa crashes; a power cut can lose the last turns, which the user
  would see as the bot forgetting them. The inquiry database keeps full sync (safeshare/db).
  Erasure overwrites the deleted rows (`secure_delete`) and empties the log (a checkpoint).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event as sa_event
from sqlalchemy import text as sa_text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from safeshare.redaction import redact, redact_value
from safeshare.settings import get_settings

logger = logging.getLogger(__name__)

ERASE_ACTION = "action_forget_my_data"
_DROPPED_SLOTS = {"session_started_metadata"}


def privacy_filter(data: dict[str, Any]) -> dict[str, Any]:
    """The serialised event as it may be stored."""
    kind = data.get("event")
    if kind == "user":
        data = dict(data)
        data["text"] = redact(data.get("text") or "")
        data["metadata"] = {}
        parse = dict(data.get("parse_data") or {})
        if parse:
            parse["text"] = redact(parse.get("text") or "")
            parse["entities"] = redact_value(parse.get("entities") or [])
            parse.pop("metadata", None)
            data["parse_data"] = parse
    elif kind == "slot":
        data = dict(data)
        if data.get("name") in _DROPPED_SLOTS:
            data["value"] = None
        else:
            data["value"] = redact_value(data.get("value"))
    elif kind == "session_started":
        data = dict(data)
        data["metadata"] = {}
    return data


def _erasure_requested(events: Iterable[Event]) -> bool:
    return any(isinstance(e, ActionExecuted) and e.action_name == ERASE_ACTION for e in events)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    # Erased rows are overwritten, not left in free pages of the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


class PrivateSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: Any = None,
        **kwargs: Any,
    ) -> None:
        url = make_url(kwargs.pop("url", None) or get_settings().tracker_db_url)
        if url.drivername.startswith("sqlite") and url.database:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # A full URL passed as `host` is used as it is by SQLTrackerStore.get_db_url.
        super().__init__(
            domain=domain,
            dialect=url.drivername,
            host=url.render_as_string(hide_password=False),
            event_broker=event_broker,
        )
        if self.engine.dialect.name == "sqlite":
            # Rasa's engine opens and closes a SQLite connection per query (SQLAlchemy's NullPool
            # for files); closing the last connection to a WAL database checkpoints it, so every
            # message paid for a checkpoint. Keep a few connections open instead (one event loop
            # uses them, hence check_same_thread off).
            file_url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(
                file_url,
                poolclass=QueuePool,
                pool_size=2,
                max_overflow=4,
                connect_args={"check_same_thread": False, "timeout": 15},
            )
            sa_event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
            with self.engine.connect():
                pass  # WAL mode is a property of the file: set it now, not at the first message

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
            if _erasure_requested(new_events):
                deleted = (
                    session.query(self.SQLEvent)
                    .filter(self.SQLEvent.sender_id == tracker.sender_id)
                    .delete(synchronize_session=False)
                )
                session.commit()
                if self.engine.dialect.name == "sqlite":
                    # The write-ahead log still holds the erased pages until a checkpoint.
                    session.execute(sa_text("PRAGMA wal_checkpoint(TRUNCATE)"))
                logger.info("conversation erased at the user's request (%d events)", deleted)
                return
            for event in new_events:
                data = privacy_filter(event.as_dict())
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
