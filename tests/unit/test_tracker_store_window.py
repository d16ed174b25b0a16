"""A turn loads a window of the conversation, yet the dialogue sees the state the whole history
gives, and every event is still stored once (safeshare/rasa_ext/tracker_store.py).

Each test plays turns the way Rasa's message processor does (retrieve, add the turn's events,
save) against a reference tracker that keeps the whole history in memory.
"""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from safeshare.rasa_ext import tracker_store
from safeshare.rasa_ext.tracker_store import (
    STATE_KEY,
    PrivateSQLTrackerStore,
    privacy_filter,
    stored_slot_value,
)

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, ask, inform, affirm, deny]
entities: [platform]
slots:
  language:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
  platform:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
  contact:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
  tone:
    type: text
    initial_value: friendly
    influence_conversation: false
    mappings: [{type: custom}]
forms:
  privacy_settings_form:
    required_slots: [platform]
responses:
  utter_answer:
  - text: "An answer."
actions: [action_create_inquiry]
"""
)
WINDOW = 3


def user(text: str, intent: str = "ask") -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": 0.9}, parse_data={"text": text})


def question(n: int) -> list[Event]:
    return [
        user(f"question {n}"),
        ActionExecuted("utter_answer"),
        BotUttered(f"answer {n}"),
        ActionExecuted("action_listen"),
    ]


def session_start(**slots: str) -> list[Event]:
    """What actions/session.py starts a session with. Rasa's own load tells sessions apart by
    timestamp, so the session starts strictly after `action_session_start` ran."""
    now = time.time()
    start = [ActionExecuted("action_session_start", timestamp=now - 0.001), SessionStarted(now)]
    return [*start, *(SlotSet(name, value) for name, value in slots.items()), ActionExecuted("action_listen")]


class Conversation:
    """One conversation played through the store, next to the whole history in memory."""

    def __init__(self, store: PrivateSQLTrackerStore, sender: str = "c1") -> None:
        self.store, self.sender = store, sender
        self.full = DialogueStateTracker(sender, DOMAIN.slots)
        self.history: list[Event] = []
        self._whole: PrivateSQLTrackerStore | None = None

    async def turn(self, events: list[Event]) -> DialogueStateTracker:
        tracker = await self.store.retrieve(self.sender)
        if tracker is None:
            tracker = DialogueStateTracker(self.sender, DOMAIN.slots)
        for event in events:
            tracker.update(event)
            self.full.update(event)
        self.history += events
        await self.store.save(tracker)
        return tracker

    def whole_store(self) -> PrivateSQLTrackerStore:
        """The same rows read as Rasa reads them: the whole session, replayed."""
        if self._whole is None:
            url = self.store.engine.url.render_as_string(hide_password=False)
            self._whole = PrivateSQLTrackerStore(domain=DOMAIN, url=url, window_turns=0)
        return self._whole

    async def loaded(self) -> DialogueStateTracker:
        tracker = await self.store.retrieve(self.sender)
        assert tracker is not None
        return tracker

    async def assert_same_state(self) -> DialogueStateTracker:
        loaded = await self.loaded()
        # Rasa's own load: the whole session from the same rows.
        whole = await self.whole_store().retrieve(self.sender)
        assert whole is not None
        stored = {k: stored_slot_value(k, v) for k, v in self.full.current_slot_values().items()}
        assert loaded.current_slot_values() == whole.current_slot_values() == stored
        assert loaded.active_loop_name == whole.active_loop_name
        assert bool(loaded.is_active_loop_rejected) == bool(whole.is_active_loop_rejected)
        assert loaded.is_paused() == whole.is_paused()
        assert loaded.latest_action_name == whole.latest_action_name
        assert loaded.followup_action == whole.followup_action
        assert loaded.latest_message.text == whole.latest_message.text
        # The states of the last two turns, which is as far back as a rule looks.
        states = 2 * 3
        assert loaded.past_states(DOMAIN)[-states:] == whole.past_states(DOMAIN)[-states:]
        return loaded

    def rows(self) -> list[dict]:
        with self.store.engine.connect() as conn:
            data = conn.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": self.sender}
            )
            return [json.loads(row[0]) for row in data]


@pytest.fixture()
def store(store_url: str) -> PrivateSQLTrackerStore:
    return PrivateSQLTrackerStore(domain=DOMAIN, url=store_url, window_turns=WINDOW)


def _summary(data: dict) -> tuple:
    return (data["event"], data.get("name"), data.get("text"), json.dumps(data.get("value")))


async def test_a_turn_loads_a_window_but_keeps_the_slots_set_long_ago(store: PrivateSQLTrackerStore) -> None:
    chat = Conversation(store)
    await chat.turn(session_start(language="zh"))
    await chat.turn([*question(0)[:-1], SlotSet("platform", "instagram"), ActionExecuted("action_listen")])
    sizes = []
    for n in range(1, 40):
        await chat.turn(question(n))
        loaded = await chat.assert_same_state()
        sizes.append(len(loaded.events))
    assert loaded.get_slot("language") == "zh" and loaded.get_slot("platform") == "instagram"
    assert loaded.get_slot("tone") == "friendly"
    # Bounded: the window's rows (one listen row + WINDOW turns of 4 events) and two restored slots.
    assert max(sizes[10:]) == min(sizes[10:]) == 1 + 4 * WINDOW + 2
    # Everything is stored, once, in order.
    assert [_summary(d) for d in chat.rows()] == [_summary(privacy_filter(e.as_dict())) for e in chat.history]


async def test_a_form_stays_active_and_rejected_across_the_window(store: PrivateSQLTrackerStore) -> None:
    chat = Conversation(store)
    await chat.turn(session_start())
    await chat.turn(
        [
            user("change my settings"),
            ActionExecuted("privacy_settings_form"),
            ActiveLoop("privacy_settings_form"),
            SlotSet("requested_slot", "platform"),
            ActionExecuted("action_listen"),
        ]
    )
    for n in range(8):  # digressions: the form is rejected, the question answered, the form asks again
        await chat.turn(
            [
                user(f"digression {n}"),
                ActionExecutionRejected("privacy_settings_form"),
                ActionExecuted("utter_answer"),
                ActionExecuted("privacy_settings_form"),
                SlotSet("requested_slot", "platform"),
                ActionExecuted("action_listen"),
            ]
        )
        loaded = await chat.assert_same_state()
        assert loaded.active_loop_name == "privacy_settings_form"
    # Rejected and not run again before listening (an action server that answered nothing).
    await chat.turn(
        [user("what?"), ActionExecutionRejected("privacy_settings_form"), ActionExecuted("action_listen")]
    )
    loaded = await chat.assert_same_state()
    assert loaded.is_active_loop_rejected
    await chat.turn([user("instagram", "inform"), SlotSet("platform", "instagram"), *question(99)[1:]])
    await chat.turn(
        [
            user("ok"),
            ActionExecuted("privacy_settings_form"),
            SlotSet("requested_slot", None),
            ActiveLoop(None),
            ActionExecuted("action_listen"),
        ]
    )
    for n in range(WINDOW + 1):
        await chat.turn(question(n))
        loaded = await chat.assert_same_state()
    assert loaded.active_loop_name is None and loaded.get_slot("platform") == "instagram"


async def test_a_paused_conversation_stays_paused(store: PrivateSQLTrackerStore) -> None:
    chat = Conversation(store)
    await chat.turn(session_start())
    await chat.turn([*question(0)[:-1], ConversationPaused(), ActionExecuted("action_listen")])
    for n in range(1, WINDOW + 3):
        await chat.turn(question(n))
        assert (await chat.assert_same_state()).is_paused()
    await chat.turn([*question(9)[:-1], ConversationResumed(), ActionExecuted("action_listen")])
    for n in range(WINDOW + 2):
        await chat.turn(question(n))
        assert not (await chat.assert_same_state()).is_paused()


async def test_a_new_session_starts_the_window_afresh(store: PrivateSQLTrackerStore) -> None:
    chat = Conversation(store)
    await chat.turn(session_start(language="zh"))
    for n in range(10):
        await chat.turn([*question(n)[:-1], SlotSet("platform", f"p{n}"), ActionExecuted("action_listen")])
    # A new session carries the language over (actions/session.py), not the rest.
    await chat.turn(session_start(language="zh"))
    await chat.turn(question(10))
    loaded = await chat.assert_same_state()
    assert isinstance(loaded.events[0], SessionStarted)
    assert loaded.get_slot("language") == "zh" and loaded.get_slot("platform") is None
    full = await chat.store.retrieve_full_tracker("c1")
    assert full is not None and len(full.events) == len(chat.history)


async def test_conversations_stored_without_state_load_whole_then_windowed(store_url: str) -> None:
    """Rows written before windows existed carry no state: their session loads whole until turns
    that carry one are stored."""
    old = Conversation(PrivateSQLTrackerStore(domain=DOMAIN, url=store_url, window_turns=0))
    await old.turn(session_start(language="zh"))
    for n in range(6):
        await old.turn(question(n))
    assert not any(STATE_KEY in row for row in old.rows())
    chat = Conversation(PrivateSQLTrackerStore(domain=DOMAIN, url=store_url, window_turns=WINDOW))
    chat.full, chat.history = old.full, old.history
    whole = await chat.loaded()
    assert isinstance(whole.events[0], SessionStarted)
    for n in range(WINDOW + 1):
        await chat.turn(question(10 + n))
        loaded = await chat.assert_same_state()
    assert not isinstance(loaded.events[0], SessionStarted)
    assert loaded.get_slot("language") == "zh"
    assert [_summary(d) for d in chat.rows()] == [_summary(privacy_filter(e.as_dict())) for e in chat.history]


async def test_the_stored_state_is_redacted(store: PrivateSQLTrackerStore) -> None:
    chat = Conversation(store)
    await chat.turn(session_start())
    await chat.turn(
        [*question(0)[:-1], SlotSet("contact", "call 9123 4567"), ActionExecuted("action_listen")]
    )
    for n in range(1, WINDOW + 2):
        await chat.turn(question(n))
    blob = json.dumps(chat.rows())
    assert "9123" not in blob and blob.count(STATE_KEY) == WINDOW + 3
    loaded = await chat.assert_same_state()
    assert loaded.get_slot("contact") == "call [PHONE]"
    # Redacting what is already redacted changes nothing (a restored value is redacted again).
    for value in ["call [PHONE]", "[HKID] and [EMAIL]", ["[CARD]", {"a": "[NUMBER]"}], None, 3]:
        assert stored_slot_value("contact", value) == value


async def test_erasure_deletes_every_row_and_the_state_with_them(store: PrivateSQLTrackerStore) -> None:
    chat = Conversation(store)
    await chat.turn(session_start(contact="me@example.com"))
    for n in range(WINDOW + 2):
        await chat.turn(question(n))
    await chat.turn([user("yes", "affirm"), ActionExecuted("action_forget_my_data"), BotUttered("Deleted.")])
    assert chat.rows() == []
    assert await store.retrieve("c1") is None


async def test_saving_twice_stores_nothing_twice(store: PrivateSQLTrackerStore) -> None:
    chat = Conversation(store)
    tracker = await chat.turn(session_start())
    await store.save(tracker)
    tracker = await store.retrieve("c1")
    for event in question(1):
        tracker.update(event)
    await store.save(tracker)
    await store.save(tracker.copy())  # a copy shares the events, and what is known of them
    assert len(chat.rows()) == len(session_start()) + len(question(1))


async def test_the_inquiry_action_gets_the_whole_session(store: PrivateSQLTrackerStore) -> None:
    chat = Conversation(store)
    await chat.turn(
        [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    )
    for n in range(WINDOW + 4):
        await chat.turn(question(n))
    tracker = await chat.loaded()
    tracker.update(user("please create it"))
    tracker_store.install()
    endpoint = EndpointConfig("http://127.0.0.1:9/webhook")
    sent = RemoteAction("action_create_inquiry", endpoint)._action_call_format(tracker, DOMAIN)
    texts = [e.get("text") for e in sent["tracker"]["events"] if e["event"] == "user"]
    assert texts == [f"question {n}" for n in range(WINDOW + 4)] + ["please create it"]
    assert not any(STATE_KEY in e for e in sent["tracker"]["events"])
    # Any other action gets the window the turn loaded.
    other = RemoteAction("action_record_feedback", endpoint)._action_call_format(tracker, DOMAIN)
    texts = [e.get("text") for e in other["tracker"]["events"] if e["event"] == "user"]
    assert texts == [f"question {n}" for n in range(4, WINDOW + 4)] + ["please create it"]


def test_endpoints_yml_gives_the_store_its_window(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.tracker_store import TrackerStore
    from rasa.core.utils import AvailableEndpoints

    from safeshare.settings import PROJECT_ROOT

    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:9/webhook")  # endpoints.yml needs it
    endpoints = AvailableEndpoints.read_endpoints(str(PROJECT_ROOT / "endpoints.yml"))
    store = TrackerStore.create(endpoints.tracker_store, domain=DOMAIN)
    inner = getattr(store, "_tracker_store", store)
    assert isinstance(inner, PrivateSQLTrackerStore)
    assert inner.window_turns == tracker_store.DEFAULT_WINDOW_TURNS == 8


def test_events_are_read_as_rasa_reads_them() -> None:
    from rasa.shared.core.events import (
        ActionReverted,
        AllSlotsReset,
        FollowupAction,
        LoopInterrupted,
        Restarted,
        UserUtteranceReverted,
        deserialise_events,
    )

    events = [
        *session_start(language="zh"),
        *question(1),
        ActiveLoop("privacy_settings_form"),
        ActionExecutionRejected("privacy_settings_form"),
        LoopInterrupted(True),
        FollowupAction("action_listen"),
        ConversationPaused(),
        ConversationResumed(),
        UserUtteranceReverted(),
        ActionReverted(),
        AllSlotsReset(),
        Restarted(),
    ]
    dicts = [e.as_dict() for e in events] + [{"timestamp": 1.0}, {"event": "topic", "topic": "x"}]
    assert tracker_store._deserialise(dicts) == deserialise_events(dicts) == events
    with pytest.raises(ValueError, match="Unknown event name"):
        tracker_store._deserialise([{"event": "no_such_event"}])
