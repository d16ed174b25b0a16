"""The queue and the inquiry page: escaping, filters, answering and delivery, notes, audit."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import Flask

from safeshare.db.models import AuditLog, Inquiry, InquiryNote
from safeshare.settings import Settings
from tests.console.conftest import Console, make_inquiry, store
from tests.fakes.telegram_api import FakeTelegramServer

SCRIPT = "<script>alert('pwned')</script>"


def inquiry_row(settings: Settings, reference: str = "SS-ABCDE") -> Inquiry:
    with store(settings) as session:
        return session.execute(sa.select(Inquiry).where(Inquiry.reference == reference)).scalar_one()


def audit_actions(settings: Settings) -> list[str]:
    with store(settings) as session:
        return session.execute(sa.select(AuditLog.action).order_by(AuditLog.id)).scalars().all()


def test_user_text_is_escaped_everywhere(settings: Settings, reviewer: Console) -> None:
    make_inquiry(
        settings,
        question=f"Is this legal? {SCRIPT}",
        transcript=[
            {"who": "user", "text": f"hello {SCRIPT}"},
            {"who": "bot", "text": "<img src=x onerror=alert(1)>"},
        ],
        nlu_guesses=[{"intent": "<b>bold</b>", "confidence": 0.3}],
        contact_consent=True,
        contact=f"{SCRIPT}@example.com",
    )
    reviewer.post("/console/inquiries/SS-ABCDE/notes", {"body": f"note {SCRIPT}"})
    reviewer.post(
        "/console/inquiries/SS-ABCDE/suggest", {"title": f"topic {SCRIPT}", "question": f"q {SCRIPT}"}
    )
    for url in ("/console/", "/console/inquiries/SS-ABCDE", "/console/topics", "/console/?q=%3Cscript%3E"):
        html = reviewer.get(url).get_data(as_text=True)
        assert "<script" not in html, url
        assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html, url
    html = reviewer.get("/console/inquiries/SS-ABCDE").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html


def test_contact_shown_only_with_consent(settings: Settings, reviewer: Console) -> None:
    make_inquiry(settings, "SS-AAAAA", contact_consent=True, contact="parent@example.com")
    make_inquiry(settings, "SS-BBBBB", contact_consent=False, contact="hidden@example.com")
    assert "parent@example.com" in reviewer.get("/console/inquiries/SS-AAAAA").text
    page = reviewer.get("/console/inquiries/SS-BBBBB").text
    assert "hidden@example.com" not in page and "answer in the chat only" in page


def test_queue_counts_filters_search_and_sort(settings: Settings, reviewer: Console) -> None:
    now = datetime.now(timezone.utc)
    make_inquiry(
        settings,
        "SS-AAAAA",
        language="en",
        channel="telegram",
        created_at=(now - timedelta(hours=5)).isoformat(),
        question="Someone made a deepfake of my daughter",
    )
    make_inquiry(
        settings,
        "SS-BBBBB",
        language="zh",
        channel="socketio",
        reason="repeated_fallback",
        created_at=(now - timedelta(hours=1)).isoformat(),
        question="學校可以用閉路電視拍學生嗎？",
    )
    make_inquiry(
        settings,
        "SS-CCCCC",
        language="en",
        channel="rest",
        created_at=(now - timedelta(days=3)).isoformat(),
        question="Old question",
    )
    with store(settings) as session:
        session.execute(
            sa.update(Inquiry).where(Inquiry.reference == "SS-CCCCC").values(status="closed", closed_at=now)
        )

    def refs(url: str) -> list[str]:
        html = reviewer.get(url).text
        return [ref for ref in ("SS-AAAAA", "SS-BBBBB", "SS-CCCCC") if ref in html]

    html = reviewer.get("/console/").text
    assert 'data-status="open">2<' in html and 'data-status="closed">1<' in html
    assert 'data-status="all">3<' in html
    assert refs("/console/") == ["SS-AAAAA", "SS-BBBBB"]  # open ones, oldest first
    assert html.index("SS-AAAAA") < html.index("SS-BBBBB")
    newest = reviewer.get("/console/?sort=newest").text
    assert newest.index("SS-BBBBB") < newest.index("SS-AAAAA")
    assert refs("/console/?status=closed") == ["SS-CCCCC"]
    assert refs("/console/?status=all&language=zh") == ["SS-BBBBB"]
    assert refs("/console/?status=all&channel=telegram") == ["SS-AAAAA"]
    assert refs("/console/?status=all&reason=repeated_fallback") == ["SS-BBBBB"]
    assert refs("/console/?status=all&q=deepfake") == ["SS-AAAAA"]
    assert refs("/console/?status=all&q=閉路電視") == ["SS-BBBBB"]
    assert refs("/console/?status=all&q=ss-ccccc") == ["SS-CCCCC"]
    assert refs("/console/?status=all&q=100%25") == []
    assert "學校可以用閉路電視拍學生嗎？" in reviewer.get("/console/?status=all").text


def test_queue_pages(settings: Settings, reviewer: Console) -> None:
    start = datetime.now(timezone.utc) - timedelta(days=1)
    refs = [f"SS-P{n:04d}"[:8] for n in range(30)]
    for n, ref in enumerate(refs):
        make_inquiry(settings, ref, created_at=(start + timedelta(minutes=n)).isoformat())
    first = reviewer.get("/console/").text
    second = reviewer.get("/console/?page=2").text
    assert "page 1 of 2" in first and "Next →" in first
    assert refs[0] in first and refs[24] in first and refs[25] not in first
    assert refs[25] in second and refs[29] in second and refs[0] not in second


def test_assign_to_me(settings: Settings, reviewer: Console) -> None:
    make_inquiry(settings)
    response = reviewer.post("/console/inquiries/SS-ABCDE/assign", {"next": "/console/?status=open"})
    assert response.headers["Location"] == "/console/?status=open"
    row = inquiry_row(settings)
    assert row.status == "in_progress" and row.assigned_to_id is not None
    assert "rita" in reviewer.get("/console/").text


def test_answer_on_rest_waits_for_the_user(settings: Settings, reviewer: Console) -> None:
    make_inquiry(settings, channel="rest")
    answer = "你好！請聯絡學校要求刪除相片。You can also ask the PCPD."
    reviewer.post("/console/inquiries/SS-ABCDE/answer", {"answer": answer})
    row = inquiry_row(settings)
    assert row.status == "answered" and row.staff_answer == answer
    assert row.answered_at is not None and row.answered_by_id is not None
    assert row.delivery_status == "pending" and row.delivery_error is None
    page = reviewer.get("/console/inquiries/SS-ABCDE").text
    assert answer in page and "<strong>pending</strong>" in page
    assert audit_actions(settings)[-3:] == ["answer", "deliver", "view_inquiry"]


def test_socketio_delivery_failure_is_recorded(settings: Settings, reviewer: Console) -> None:
    # settings.rasa_url points at a port where nothing listens.
    make_inquiry(settings, channel="socketio", reply_address="widget-session-1")
    reviewer.post("/console/inquiries/SS-ABCDE/answer", {"answer": "Here is what to do."})
    row = inquiry_row(settings)
    assert row.status == "answered" and row.staff_answer == "Here is what to do."
    assert row.delivery_status == "failed"
    assert "could not be reached" in row.delivery_error
    assert settings.rasa_token not in row.delivery_error
    page = reviewer.get("/console/inquiries/SS-ABCDE").text
    assert "<strong>failed</strong>" in page and "could not be reached" in page
    assert "Retry delivery" in page
    with store(settings) as session:
        detail = session.execute(sa.select(AuditLog.detail).where(AuditLog.action == "deliver")).scalar_one()
    assert detail.startswith("failed: ")


@pytest.fixture()
def telegram(app: Flask, settings: Settings):
    """The fake Bot API, and the console's settings pointing at it."""
    with FakeTelegramServer(token="777:CONSOLE") as server:
        app.config["SAFESHARE_SETTINGS"] = dataclasses.replace(
            settings, telegram_bot_token=server.token, telegram_api_url=server.base_url
        )
        yield server


def test_telegram_answer_is_delivered(
    settings: Settings, reviewer: Console, telegram: FakeTelegramServer
) -> None:
    make_inquiry(settings, channel="telegram", reply_address="4711", language="zh")
    reviewer.post("/console/inquiries/SS-ABCDE/answer", {"answer": "請向私隱專員公署投訴。"})
    sent = telegram.sent_messages(4711)
    assert len(sent) == 1
    assert "SS-ABCDE" in sent[0]["text"] and "請向私隱專員公署投訴。" in sent[0]["text"]
    row = inquiry_row(settings)
    assert row.delivery_status == "delivered" and row.delivery_error is None


def test_telegram_refusal_is_recorded_and_can_be_retried(
    settings: Settings, reviewer: Console, telegram: FakeTelegramServer
) -> None:
    make_inquiry(settings, channel="telegram", reply_address="4712")
    telegram.fail_next("sendMessage", status=403)
    reviewer.post("/console/inquiries/SS-ABCDE/answer", {"answer": "An answer."})
    row = inquiry_row(settings)
    assert row.delivery_status == "failed"
    assert "bot was blocked by the user" in row.delivery_error
    assert telegram.sent_messages(4712) == []
    reviewer.post("/console/inquiries/SS-ABCDE/deliver", page="/console/inquiries/SS-ABCDE")
    row = inquiry_row(settings)
    assert row.delivery_status == "delivered" and row.delivery_error is None
    assert len(telegram.sent_messages(4712)) == 1


def test_telegram_without_chat_fails_clearly(settings: Settings, reviewer: Console) -> None:
    make_inquiry(settings, channel="telegram", reply_address=None)
    reviewer.post("/console/inquiries/SS-ABCDE/answer", {"answer": "An answer."})
    row = inquiry_row(settings)
    assert row.delivery_status == "failed" and "no chat" in row.delivery_error


def test_notes_close_and_reopen(settings: Settings, reviewer: Console) -> None:
    make_inquiry(settings)
    reviewer.post("/console/inquiries/SS-ABCDE/notes", {"body": "Called the school: 等回覆"})
    with store(settings) as session:
        assert session.execute(sa.select(InquiryNote.body)).scalar_one() == "Called the school: 等回覆"
    assert "Called the school: 等回覆" in reviewer.get("/console/inquiries/SS-ABCDE").text
    reviewer.post("/console/inquiries/SS-ABCDE/close")
    row = inquiry_row(settings)
    assert row.status == "closed" and row.closed_at is not None
    # A closed inquiry is not answered by accident.
    reviewer.post("/console/inquiries/SS-ABCDE/answer", {"answer": "late"})
    assert inquiry_row(settings).staff_answer is None
    reviewer.post("/console/inquiries/SS-ABCDE/reopen")
    row = inquiry_row(settings)
    assert row.status == "in_progress" and row.closed_at is None


def test_unknown_inquiry_is_404(reviewer: Console) -> None:
    response = reviewer.get("/console/inquiries/SS-ZZZZZ")
    assert response.status_code == 404 and b"Not found" in response.data


def test_audit_rows_are_written(settings: Settings, admin: Console, app: Flask) -> None:
    make_inquiry(settings)
    admin.get("/console/inquiries/SS-ABCDE")
    admin.post("/console/inquiries/SS-ABCDE/assign")
    admin.post("/console/inquiries/SS-ABCDE/notes", {"body": "n"})
    admin.post("/console/inquiries/SS-ABCDE/answer", {"answer": "a"})
    admin.post(
        "/console/inquiries/SS-ABCDE/examples",
        {"topic": "school_photos", "text": "can schools post photos", "language": "en"},
    )
    admin.post("/console/inquiries/SS-ABCDE/suggest", {"title": "t", "question": "q"})
    admin.post("/console/inquiries/SS-ABCDE/close")
    admin.get("/console/training/export.yml")
    admin.post(
        "/console/users",
        {
            "username": "rita",
            "role": "reviewer",
            "password": "a long enough password",
            "confirm": "a long enough password",
        },
        page="/console/users",
    )
    Console(app.test_client()).login("adam", "not the password")
    admin.post("/console/logout")
    actions = audit_actions(settings)
    for action in (
        "login",
        "view_inquiry",
        "assign",
        "note",
        "answer",
        "deliver",
        "add_example",
        "suggest_topic",
        "close",
        "export",
        "user_create",
        "login_failed",
        "logout",
    ):
        assert action in actions, action
    with store(settings) as session:
        row = session.execute(sa.select(AuditLog).where(AuditLog.action == "assign")).scalar_one()
        assert row.username == "adam" and row.target == "SS-ABCDE" and row.ip == "127.0.0.1"
        failed = session.execute(sa.select(AuditLog).where(AuditLog.action == "login_failed")).scalar_one()
        assert failed.user_id is None and failed.username == "adam"
    # Admins can read it.
    admin.login("adam")
    page = admin.get("/console/audit?action=assign").text
    assert "assigned to adam" in page
