"""The tracker store writes nothing the user typed unredacted, and honours erasure."""

import json

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from safeshare.rasa_ext.tracker_store import PrivateSQLTrackerStore, privacy_filter

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, human_handoff, affirm]
slots:
  contact:
    type: text
    mappings: [{type: custom}]
"""
)


def _user(text, intent="greet"):
    return UserUttered(
        text,
        intent={"name": intent, "confidence": 0.9},
        entities=[{"entity": "platform", "value": text}],
        parse_data={"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []},
        metadata={"channel": "telegram", "reply_to": "987654321"},
    )


def test_privacy_filter_user_event():
    data = privacy_filter(_user("my HKID is A123456(3), call 9123 4567").as_dict())
    blob = json.dumps(data)
    assert "A123456" not in blob and "9123" not in blob and "987654321" not in blob
    assert data["text"] == "my HKID is [HKID], call [PHONE]"
    assert data["metadata"] == {}


def test_privacy_filter_keeps_bot_text_and_redacts_slots():
    assert privacy_filter(BotUttered("Call 2827 2827").as_dict())["text"] == "Call 2827 2827"
    assert privacy_filter(SlotSet("contact", "me@example.com").as_dict())["value"] == "[EMAIL]"
    assert privacy_filter(SlotSet("session_started_metadata", {"reply_to": "1"}).as_dict())["value"] is None


@pytest.fixture()
def store(tmp_path):
    return PrivateSQLTrackerStore(domain=DOMAIN, url=f"sqlite:///{tmp_path / 'tracker.db'}")


async def test_saved_rows_are_redacted(store, tmp_path):
    tracker = DialogueStateTracker.from_events(
        "s1",
        [
            SessionStarted(),
            ActionExecuted("action_listen"),
            _user("email me: a.b@example.com"),
            SlotSet("contact", "a.b@example.com"),
        ],
        DOMAIN.slots,
    )
    await store.save(tracker)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    with engine.connect() as conn:
        rows = [r[0] for r in conn.execute(sa.text("select data from events"))]
    assert rows and not any("example.com" in r for r in rows)
    assert any("[EMAIL]" in r for r in rows)
    restored = await store.retrieve("s1")
    assert restored.latest_message.text == "email me: [EMAIL]"


async def test_erasure_deletes_the_whole_conversation(store, tmp_path):
    events = [SessionStarted(), ActionExecuted("action_listen"), _user("hello there")]
    await store.save(DialogueStateTracker.from_events("s2", events, DOMAIN.slots))
    await store.save(DialogueStateTracker.from_events("other", events, DOMAIN.slots))
    events += [
        _user("delete my data", "affirm"),
        ActionExecuted("action_forget_my_data"),
        BotUttered("Deleted."),
    ]
    await store.save(DialogueStateTracker.from_events("s2", events, DOMAIN.slots))
    assert await store.retrieve("s2") is None
    assert await store.retrieve("other") is not None


async def test_erased_text_is_gone_from_the_files(store, tmp_path):
    """Not only unreachable: the bytes are overwritten in the database and its write-ahead log.

    Debian's SQLite is built with secure_delete on, so here this holds even without the store's
    pragma; builds without it (other images) keep deleted rows in free space, which the pragma
    prevents."""
    secret = "my kid's school is Plumtree Primary"
    events = [SessionStarted(), ActionExecuted("action_listen"), _user(secret)]
    others = [SessionStarted(), ActionExecuted("action_listen"), _user("what is a deepfake")]
    # Rows of other conversations around it keep the page in use (a freed page is another case).
    await store.save(DialogueStateTracker.from_events("before", others, DOMAIN.slots))
    await store.save(DialogueStateTracker.from_events("s3", events, DOMAIN.slots))
    await store.save(DialogueStateTracker.from_events("after", others, DOMAIN.slots))
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("tracker.db*"))
    assert b"Plumtree" in on_disk  # the negative control: it was written
    events += [ActionExecuted("action_forget_my_data"), BotUttered("Deleted.")]
    await store.save(DialogueStateTracker.from_events("s3", events, DOMAIN.slots))
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("tracker.db*"))
    assert b"Plumtree" not in on_disk
    assert await store.retrieve("before") is not None and await store.retrieve("after") is not None


def test_sqlite_tracker_store_uses_a_write_ahead_log(tmp_path) -> None:
    store = PrivateSQLTrackerStore(domain=DOMAIN, url=f"sqlite:///{tmp_path / 'wal.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    # The mode belongs to the file: a plain connection sees it too.
    plain = sa.create_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with plain.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    plain.dispose()


async def test_a_tracker_the_store_never_saw_adds_only_what_is_not_stored(store, tmp_path):
    """A new conversation stores every event; a tracker rebuilt from a list of events for a stored
    conversation stores only those after the stored ones (Rasa's count), not all of them again."""

    def stored(sender: str) -> list[str]:
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
        with engine.connect() as conn:
            query = sa.text("select type_name from events where sender_id = :s order by id")
            names = [r[0] for r in conn.execute(query, {"s": sender})]
        engine.dispose()
        return names

    created = await store.create_tracker("fresh")
    assert stored("fresh") == [e.type_name for e in created.events] == ["action"]
    events = [SessionStarted(), ActionExecuted("action_listen"), _user("hello there")]
    await store.save(DialogueStateTracker.from_events("listed", events, DOMAIN.slots))
    assert stored("listed") == ["session_started", "action", "user"]
    events += [ActionExecuted("utter_greet"), BotUttered("Hi")]
    await store.save(DialogueStateTracker.from_events("listed", events, DOMAIN.slots))
    assert stored("listed") == ["session_started", "action", "user", "action", "bot"]
    assert stored("fresh") == ["action"]
