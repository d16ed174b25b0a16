"""Rasa's SQL tracker store, made to keep only what SafeShare may keep, and to load only what a
turn needs.

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

Bounded work per turn
---------------------
Rasa's store loads every event of the conversation's session on every message and replays it;
the rule policy then turns that whole history into states and checks each of its rule keys
against each state. In one REST conversation of ordinary questions (bench/long_conversation.py,
docs/benchmarks.md) every earlier turn added ~0.9 ms of Rasa CPU to the next one: median latency
37 ms at turns 1-25, 253 ms at turns 276-300 (Rasa CPU 30 and 298 ms per message); 61% of the
CPU went to loading the tracker. Here a turn loads its *window* instead: the events after the
end of the `window_turns`-th last turn (8 by default, `window_turns` in endpoints.yml; 0 loads
whole sessions as Rasa does), preceded by a few made-up events that put back the state the
dialogue had at that point, so that slots set long ago keep their values. The same conversation
then costs 24 ms at turns 1-25 and 22 ms at turns 276-300 (Rasa CPU ~20 ms per message).

- Each turn that ends listening (the last event saved is `action_listen`) stores, inside that
  event's row (`data["safeshare_state"]`), the state after it: the slots that differ from their
  initial value (redacted as slot events are), the active form and whether it was rejected, and
  whether the conversation is paused. Keeping it in the row means erasure, retention and any
  other deletion of a conversation's rows take it with them; readers of `events` ignore the key
  (Rasa's own events are rebuilt from named fields).
- A turn reads rows newest first (an index range scan, a few dozen rows) until it has passed
  `window_turns` user messages and reached such a row W. Its tracker is: `SlotSet` for each
  stored slot, `ActiveLoop` (+ `ActionExecutionRejected`) for the form, `ConversationPaused`,
  then W and every row after it. Reaching a `session_started` row first loads the session from
  there, as Rasa does; finding no W within `MAX_SCAN_ROWS` (conversations stored before this
  change) loads the whole session once.

Why the dialogue cannot tell: Rasa's state after W is the replay of every row up to W; the
made-up events set exactly the state fields the replay would have (W is `action_listen`, so the
latest action and the follow-up action follow from W itself; the latest user message comes from
the window, which always holds user messages). The rule policy's rules reach back at most to the
last action of the turn before the current one (data/rules/), forms look at the current turn, so
with one whole turn before the current one every rule sees the same states. Not restored because
nothing reads it: the user message that started the active form (`trigger_message`) and the
bot's last utterance before the window. tests/e2e/test_stories_windowed.py replays every
conversation test story with a window of one turn and checks each prediction and state against
the whole-history tracker; tests/unit/test_tracker_store_window.py does the same for slots,
forms, pauses, sessions and erasure on SQLite and PostgreSQL.

What the action server sees is the window too. Eight turns hold what the actions read (the run
of fallbacks, the action before the latest message, the question a feedback vote is about, the
answer whose details "more" gives), except for `action_create_inquiry`: its urgency triage reads
every user message of the session and its transcript the last 12 lines, so that action alone
gets the whole session (`install`, one more query when an inquiry is made).

New events are the tracker's events that were not loaded from or saved to the store (each is
marked when it is), not "everything after the number of rows stored" as in Rasa, which only
works for whole-session trackers; a tracker that the store never saw is all new if the
conversation has no rows (a new conversation), else (a tracker built from a list of events for a
stored conversation) falls back to Rasa's count.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    ConversationPaused,
    Event,
    LoopInterrupted,
    SlotSet,
)
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
LISTEN = "action_listen"
STATE_KEY = "safeshare_state"
DEFAULT_WINDOW_TURNS = 8
# Rows read back at most while looking for the window's start before loading the whole session.
MAX_SCAN_ROWS = 600
# Actions that read the whole session (actions/escalation.py: the triage reads every user message).
SESSION_ACTIONS = frozenset({"action_create_inquiry"})

# Attributes set on Event objects (copies of a tracker share them): the conversations whose rows
# hold the event (loaded from or saved to the store); made up to restore the state; the window's
# first row, with a way to read the rows before it.
_STORED = "_safeshare_stored"
_MADE_UP = "_safeshare_made_up"
_EARLIER = "_safeshare_earlier"


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
        data["value"] = stored_slot_value(data.get("name"), data.get("value"))
    elif kind == "session_started":
        data = dict(data)
        data["metadata"] = {}
    return data


def stored_slot_value(name: Any, value: Any) -> Any:
    """A slot's value as the store keeps it."""
    return None if name in _DROPPED_SLOTS else redact_value(value)


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


# ------------------------------------------------------------------------------ the state at W


def state_after(tracker: DialogueStateTracker) -> dict[str, Any]:
    """What replaying the stored rows up to the tracker's last event would leave, beyond what the
    rows of a window restore by themselves (module docstring)."""
    slots = {}
    for name, slot in tracker.slots.items():
        if slot.value != slot.initial_value:
            slots[name] = stored_slot_value(name, slot.value)
    state: dict[str, Any] = {"slots": slots}
    loop = tracker.active_loop
    if loop is not None and loop.name:
        state["active_loop"] = {
            "name": loop.name,
            "is_interrupted": bool(loop.is_interrupted),
            "rejected": bool(loop.rejected),
        }
    if tracker.is_paused():
        state["paused"] = True
    return state


def events_restoring(state: dict[str, Any], timestamp: float) -> list[Event]:
    """Made-up events that, replayed on a new tracker, give the state `state_after` recorded."""
    events: list[Event] = [SlotSet(name, value, timestamp) for name, value in state.get("slots", {}).items()]
    loop = state.get("active_loop")
    if loop:
        events.append(ActiveLoop(loop["name"], timestamp))
        if loop.get("is_interrupted"):
            events.append(LoopInterrupted(True, timestamp))
        if loop.get("rejected"):
            events.append(ActionExecutionRejected(loop["name"], timestamp=timestamp))
    if state.get("paused"):
        events.append(ConversationPaused(timestamp))
    for event in events:
        setattr(event, _MADE_UP, True)
    return events


def _mark_stored(events: Iterable[Event], sender_id: str) -> None:
    for event in events:
        setattr(event, _STORED, getattr(event, _STORED, frozenset()) | {sender_id})


def _is_stored(event: Event, sender_id: str) -> bool:
    return sender_id in getattr(event, _STORED, ())


# ------------------------------------------------------------------------------ the store


@dataclass(frozen=True)
class _Statements:
    """A conversation's newest rows and those older than a row (`chunk` at a time), whether it
    has any row, and the insert of new rows."""

    newest: sa.sql.Select
    older: sa.sql.Select
    chunk: int
    any_row: sa.sql.Select
    insert: sa.sql.Insert


class PrivateSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: Any = None,
        window_turns: int = DEFAULT_WINDOW_TURNS,
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
        self.window_turns = max(0, int(window_turns))
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
        else:
            self._ensure_window_index()

    def _ensure_window_index(self) -> None:
        """Reading a conversation's newest rows needs (sender_id, id) in one index. SQLite's index
        on sender_id already ends with the row id; PostgreSQL's does not, and would sort all of a
        conversation's rows on every message. Rasa creates this table at start-up, not a migration,
        so the index is created the same way (replicas starting together may race: harmless)."""
        # Plain DDL: an sa.Index on SQLEvent's columns would join Rasa's shared table metadata.
        ddl = "CREATE INDEX IF NOT EXISTS ix_safeshare_events_sender_id_id ON events (sender_id, id)"
        try:
            with self.engine.begin() as conn:
                conn.execute(sa_text(ddl))
        except sa.exc.SQLAlchemyError as error:
            logger.warning("tracker store index not created (%s)", type(error).__name__)

    # -------------------------------------------------------------------- reading

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker a turn works on: the window and the state before it (module docstring)."""
        if self.window_turns == 0:
            return await self._retrieve(sender_id, fetch_events_from_all_sessions=False)
        with self.engine.connect() as connection:
            window = self._window(connection, sender_id)
        if window is None:
            return await self._retrieve(sender_id, fetch_events_from_all_sessions=False)
        rows, state = window
        if not rows:
            return None
        events = _deserialise([json.loads(data) for _, data in rows])
        restoring: list[Event] = []
        if state is not None and events:
            restoring = events_restoring(state, events[0].timestamp)
            first_id = rows[0][0]
            setattr(events[0], _EARLIER, lambda: self._session_rows_before(sender_id, first_id))
        tracker = DialogueStateTracker.from_events(sender_id, restoring + events, self.domain.slots)
        _mark_stored(tracker.events, sender_id)
        return tracker

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """Rasa's: the whole session (or conversation), read with the faster deserialisation."""
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).all()
            dicts = [json.loads(row.data) for row in rows]
        if not dicts:
            return None
        tracker = DialogueStateTracker.from_events(sender_id, _deserialise(dicts), self.domain.slots)
        _mark_stored(tracker.events, sender_id)
        return tracker

    def _window(
        self, connection: sa.engine.Connection, sender_id: str
    ) -> tuple[list[tuple[int, str]], dict[str, Any] | None] | None:
        """The rows (id, data) a turn loads, oldest first, and the state before them (None when
        they start the session or the conversation); None to load the whole session instead."""
        newest, older, chunk = self._statements.newest, self._statements.older, self._statements.chunk
        newest_first: list[tuple[int, str]] = []
        users = 0
        before: int | None = None
        while len(newest_first) < MAX_SCAN_ROWS:
            if before is None:
                batch = connection.execute(newest, {"sender": sender_id}).all()
            else:
                batch = connection.execute(older, {"sender": sender_id, "before": before}).all()
            for row_id, type_name, action_name, data in batch:
                newest_first.append((row_id, data))
                if type_name == "session_started":
                    return newest_first[::-1], None
                if type_name == "user":
                    users += 1
                elif users >= self.window_turns and type_name == "action" and action_name == LISTEN:
                    state = json.loads(data).get(STATE_KEY)
                    if state is not None:
                        return newest_first[::-1], state
            if len(batch) < chunk:
                return newest_first[::-1], None  # the whole conversation, which has no session start
            before = batch[-1][0]
        return None

    @functools.cached_property
    def _statements(self) -> _Statements:
        """The statements of every turn, built once per store (building a SELECT cost more than
        running it)."""
        table = self.SQLEvent.__table__
        # Enough rows for the window in one query most of the time (a turn is 5-10 rows).
        chunk = 12 * self.window_turns + 16
        rows = sa.select(table.c.id, table.c.type_name, table.c.action_name, table.c.data).where(
            table.c.sender_id == sa.bindparam("sender")
        )
        return _Statements(
            newest=rows.order_by(table.c.id.desc()).limit(chunk),
            older=rows.where(table.c.id < sa.bindparam("before")).order_by(table.c.id.desc()).limit(chunk),
            chunk=chunk,
            any_row=sa.select(table.c.id).where(table.c.sender_id == sa.bindparam("sender")).limit(1),
            insert=sa.insert(table),
        )

    def _has_rows(self, connection: sa.engine.Connection, sender_id: str) -> bool:
        """Whether any event of the conversation is stored: one index lookup, where Rasa's count of
        the session's rows builds an ORM query with a subquery (5% of Rasa's CPU at one user in
        bench/load.py, where one message in six starts a conversation)."""
        return connection.execute(self._statements.any_row, {"sender": sender_id}).first() is not None

    def _session_rows_before(self, sender_id: str, row_id: int) -> list[dict[str, Any]]:
        """The stored events of the latest session older than row `row_id`, as stored."""
        with self.session_scope() as session:
            rows = (
                self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
                .filter(self.SQLEvent.id < row_id)
                .all()
            )
            events = [json.loads(row.data) for row in rows]
        for data in events:
            data.pop(STATE_KEY, None)
        return events

    # -------------------------------------------------------------------- writing

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's new events (or erase the conversation if the turn asked for it).

        Reads and writes go through the engine's connections, not an ORM session (Rasa's
        `session_scope`): an ORM session per save cost about as much as the insert itself. Only
        the rare paths that use Rasa's ORM queries open one."""
        sender_id = tracker.sender_id
        if any(_is_stored(e, sender_id) for e in tracker.events):
            new_events = [e for e in tracker.events if not _is_stored(e, sender_id)]
        else:
            with self.engine.connect() as connection:
                stored = self._has_rows(connection, sender_id)
            if not stored:
                new_events = list(tracker.events)  # a new conversation (Rasa would count 0 rows)
            else:
                with self.session_scope() as session:
                    new_events = list(self._additional_events(session, tracker))
        if _erasure_requested(new_events):
            with self.session_scope() as session:
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
        last = tracker.events[-1] if tracker.events else None
        rows = []
        for event in new_events:
            data = privacy_filter(event.as_dict())
            if event is last and self.window_turns and _is_listen(event):
                data[STATE_KEY] = state_after(tracker)
            rows.append(
                {
                    "sender_id": sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                }
            )
        if rows:
            # One multi-row INSERT, not an ORM object per event (its flush was 5% of Rasa's CPU).
            with self.engine.begin() as connection:
                connection.execute(self._statements.insert, rows)
        _mark_stored(new_events, sender_id)
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)


def _is_listen(event: Event) -> bool:
    return isinstance(event, ActionExecuted) and event.action_name == LISTEN


_event_classes: dict[str, type[Event]] = {}


def _deserialise(dicts: list[dict[str, Any]]) -> list[Event]:
    """`rasa.shared.core.events.deserialise_events`, with each event class found once.

    Rasa's `Event.resolve_by_type` lists every subclass of `Event` again for each event it reads:
    with windowed trackers that was 11% of the Rasa process's CPU (py-spy, the long-conversation
    benchmark). Same classes (the first subclass with the type name, as Rasa picks), same
    `_from_parameters`, same errors for unknown types."""
    events: list[Event] = []
    for data in dicts:
        name = data.get("event")
        if name is None:
            continue
        cls = _event_classes.get(name)
        if cls is None:
            cls = Event.resolve_by_type(name)  # Rasa's own lookup: raises on an unknown type
            if cls is None:
                continue  # an old "topic" event, which Rasa skips too
            _event_classes[name] = cls
        event = cls._from_parameters(data)
        if event:
            events.append(event)
    return events


# ------------------------------------------------------------------------------ action server


def session_events(tracker: DialogueStateTracker) -> list[dict[str, Any]] | None:
    """The whole session's events for the action server, if `tracker` holds only a window."""
    load: Callable[[], list[dict[str, Any]]] | None = None
    for event in tracker.events:
        load = getattr(event, _EARLIER, None)
        if load is not None:
            break
    if load is None:
        return None
    return load() + [e.as_dict() for e in tracker.events if not getattr(e, _MADE_UP, False)]


_original_call_format = RemoteAction._action_call_format
_installed = False


def _action_call_format(self: RemoteAction, tracker: DialogueStateTracker, domain: Domain) -> dict[str, Any]:
    payload = _original_call_format(self, tracker, domain)
    if self.name() in SESSION_ACTIONS:
        events = session_events(tracker)
        if events is not None:
            payload["tracker"]["events"] = events
    return payload


def install() -> None:
    """Actions in SESSION_ACTIONS get the whole session (idempotent)."""
    global _installed
    if not _installed:
        RemoteAction._action_call_format = _action_call_format  # type: ignore[method-assign]
        _installed = True
