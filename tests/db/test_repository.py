from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from safeshare import identity
from safeshare.db import repository
from safeshare.db.models import Feedback, Inquiry
from safeshare.db.session import create_engine, session_scope


def _inquiry(**overrides) -> repository.NewInquiry:
    values = dict(
        reference=identity.new_reference(),
        channel="telegram",
        sender_key=identity.sender_key("tg-1"),
        reply_address="424242",
        language="en",
        question="My HKID A123456(3) and phone 9123 4567 were posted with my son's photo",
        reason="human_handoff",
        transcript=[{"who": "user", "text": "email me at mum@example.com"}],
        nlu_guesses=[{"intent": "doxxing_law", "confidence": 0.41}],
        contact_consent=False,
        contact="mum@example.com",
    )
    values.update(overrides)
    return repository.NewInquiry(**values)


def test_create_inquiry_redacts_and_drops_unconsented_contact(store_url):
    engine = create_engine(store_url)
    new = _inquiry()
    with session_scope(engine) as session:
        row, created = repository.create_inquiry(session, new)
        assert created
    with session_scope(engine) as session:
        row = repository.get_inquiry(session, new.reference)
        assert row.question == "My HKID [HKID] and phone [PHONE] were posted with my son's photo"
        assert row.transcript == [{"who": "user", "text": "email me at [EMAIL]"}]
        assert row.contact is None and row.contact_consent is False
        assert row.status == "new" and row.reason == "human_handoff"
        assert row.created_at.tzinfo is not None or engine.dialect.name == "sqlite"
        assert row.nlu_guesses[0]["intent"] == "doxxing_law"


def test_contact_kept_only_with_consent(store_url):
    engine = create_engine(store_url)
    new = _inquiry(contact_consent=True, contact="parent@example.com")
    with session_scope(engine) as session:
        repository.create_inquiry(session, new)
    with session_scope(engine) as session:
        assert repository.get_inquiry(session, new.reference).contact == "parent@example.com"


def test_create_is_idempotent_on_reference(store_url):
    engine = create_engine(store_url)
    new = _inquiry()
    with session_scope(engine) as session:
        repository.create_inquiry(session, new)
    with session_scope(engine) as session:
        _, created = repository.create_inquiry(session, new)
        assert not created
        assert session.execute(sa.select(sa.func.count(Inquiry.id))).scalar_one() == 1


def test_erase_sender_deletes_only_that_sender(store_url):
    engine = create_engine(store_url)
    mine, other = identity.sender_key("a"), identity.sender_key("b")
    with session_scope(engine) as session:
        repository.create_inquiry(session, _inquiry(sender_key=mine))
        repository.create_inquiry(session, _inquiry(sender_key=other))
        repository.record_feedback(
            session, topic="deepfake_explained", helpful=True, language="en", channel="rest", sender=mine
        )
    with session_scope(engine) as session:
        assert repository.erase_sender(session, mine) == {"inquiries": 1, "feedback": 1}
    with session_scope(engine) as session:
        senders = session.execute(sa.select(Inquiry.sender_key)).scalars().all()
        assert senders == [other]
        assert session.execute(sa.select(sa.func.count(Feedback.id))).scalar_one() == 0


def test_retention_deletes_old_closed_inquiries_only(store_url):
    engine = create_engine(store_url)
    old_closed, old_open, recent_closed = _inquiry(), _inquiry(), _inquiry()
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        for new in (old_closed, old_open, recent_closed):
            repository.create_inquiry(session, new)
        for ref, status, closed in (
            (old_closed.reference, "closed", now - timedelta(days=200)),
            (old_open.reference, "answered", None),
            (recent_closed.reference, "closed", now - timedelta(days=5)),
        ):
            row = repository.get_inquiry(session, ref)
            row.status, row.closed_at = status, closed
    with session_scope(engine) as session:
        counts = repository.purge_expired(session, days=180)
    assert counts["inquiries"] == 1
    with session_scope(engine) as session:
        left = set(session.execute(sa.select(Inquiry.reference)).scalars())
    assert left == {old_open.reference, recent_closed.reference}
