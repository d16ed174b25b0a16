"""Nothing the user typed reaches disk unredacted, and erasure leaves nothing of the user."""

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from safeshare.settings import get_settings
from tests.helpers import chat, texts

pytestmark = pytest.mark.model

HKID, PHONE, EMAIL = "C668668(9)", "9876 5432", "chan.siu.ming@example.org"
RAW = ["C668668", "98765432", "9876 5432", "chan.siu.ming", "example.org"]


def _all_text(url: str) -> str:
    engine = sa.create_engine(url)
    chunks = []
    with engine.connect() as conn:
        for table in sa.inspect(engine).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                chunks.append(" ".join(str(v) for v in row))
    engine.dispose()
    return "\n".join(chunks)


def _all_files(root: Path) -> str:
    out = []
    for path in root.rglob("*"):
        if path.is_file():
            out.append(path.read_bytes().decode("utf-8", "ignore"))
    return "\n".join(out)


def test_identifiers_never_reach_disk(stack, run_dir):
    assert "[HKID]" in __import__("safeshare.redaction", fromlist=["redact"]).redact(f"id {HKID}")
    me = f"pii-{uuid.uuid4().hex[:8]}"
    chat(stack, me, f"my HKID {HKID} and phone {PHONE} were posted, email me at {EMAIL}")
    chat(stack, me, "I want to talk to a real person")
    chat(stack, me, f"Someone posted my HKID {HKID} and my number +852 {PHONE} on Facebook")
    chat(stack, me, "/affirm")
    replies = chat(stack, me, EMAIL)
    assert "SS-" in texts(replies)
    settings = get_settings()
    stored = _all_text(settings.tracker_db_url) + _all_text(settings.database_url) + _all_files(run_dir)
    contact_rows = [line for line in _all_text(settings.database_url).splitlines() if EMAIL in line]
    # the one consented contact field is the only place the email may be kept
    for raw in RAW:
        leftover = stored.count(raw) - sum(line.count(raw) for line in contact_rows) * 2
        assert leftover <= 0, raw
    assert "[HKID]" in stored and "[PHONE]" in stored


def test_forget_my_data_leaves_nothing(stack):
    me = f"forget-{uuid.uuid4().hex[:8]}"
    chat(stack, me, "I want to talk to a real person")
    chat(stack, me, "My neighbour films my kids, what can I do")
    chat(stack, me, "/deny")
    chat(stack, me, "👍 thanks")
    replies = chat(stack, me, "delete my data")
    assert any(b["payload"] == "/affirm" for r in replies for b in r.get("buttons", []))
    replies = chat(stack, me, "/affirm")
    assert "1" in texts(replies)
    settings = get_settings()
    from safeshare.identity import sender_key

    tracker = sa.create_engine(settings.tracker_db_url)
    with tracker.connect() as conn:
        events = conn.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": me}).scalar()
    store = sa.create_engine(settings.database_url)
    with store.connect() as conn:
        inquiries = conn.execute(
            sa.text("SELECT count(*) FROM inquiries WHERE sender_key = :k"), {"k": sender_key(me)}
        ).scalar()
        feedback = conn.execute(
            sa.text("SELECT count(*) FROM feedback WHERE sender_key = :k"), {"k": sender_key(me)}
        ).scalar()
    assert (events, inquiries, feedback) == (0, 0, 0)
    assert "neighbour films" not in _all_text(settings.tracker_db_url)
