"""The queue by priority and due date, the inquiry page's priority and its changes (audited)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from safeshare import inquiries, workdays
from safeshare.db.models import AuditLog, Inquiry
from safeshare.settings import Settings
from tests.console.conftest import Console, make_inquiry, store


def row_of(settings: Settings, reference: str) -> Inquiry:
    with store(settings) as session:
        return session.execute(sa.select(Inquiry).where(Inquiry.reference == reference)).scalar_one()


def queue_rows(html: str) -> list[tuple[str, str]]:
    """(reference, priority) of each queue row, in page order."""
    pattern = r'data-priority="(\w+)">\s*<th scope="row"><a [^>]*>(SS-\w+)</a>'
    return [(ref, priority) for priority, ref in re.findall(pattern, html)]


def test_queue_shows_priority_reason_and_due_date_urgent_first(settings: Settings, reviewer: Console) -> None:
    now = datetime.now(timezone.utc)
    make_inquiry(settings, "SS-NRM22", created_at=(now - timedelta(hours=30)).isoformat())
    make_inquiry(
        settings,
        "SS-HGH22",
        created_at=(now - timedelta(hours=20)).isoformat(),
        priority="high",
        priority_reason="threats",
    )
    make_inquiry(
        settings,
        "SS-URG22",
        created_at=(now - timedelta(minutes=5)).isoformat(),
        priority="urgent",
        priority_reason="sexual content; child affected",
    )
    html = reviewer.get("/console/").text
    assert queue_rows(html) == [("SS-URG22", "urgent"), ("SS-HGH22", "high"), ("SS-NRM22", "normal")]
    assert "sexual content; child affected" in html and "threats" in html
    urgent = row_of(settings, "SS-URG22")
    assert urgent.due_on == workdays.add_working_days(workdays.hk_date(urgent.created_at), 0)
    assert f'datetime="{urgent.due_on.isoformat()}"' in html
    # The other orders are still there.
    oldest = queue_rows(reviewer.get("/console/?sort=oldest").text)
    assert [ref for ref, _ in oldest] == ["SS-NRM22", "SS-HGH22", "SS-URG22"]
    assert queue_rows(reviewer.get("/console/?priority=high").text) == [("SS-HGH22", "high")]


def test_overdue_inquiries_are_marked_and_counted(settings: Settings, reviewer: Console) -> None:
    long_ago = datetime.now(timezone.utc) - timedelta(days=20)
    make_inquiry(settings, "SS-LATE2", created_at=long_ago.isoformat())
    make_inquiry(settings, "SS-DONE2", created_at=long_ago.isoformat())
    make_inquiry(settings, "SS-FRSH2")
    with store(settings) as session:
        session.execute(sa.update(Inquiry).where(Inquiry.reference == "SS-DONE2").values(status="answered"))
    html = reviewer.get("/console/?status=all").text
    assert re.search(r'id="overdue-count"[^>]*><strong>1</strong>', html)
    late_row = html[html.index('data-priority="normal">', html.index("SS-LATE2") - 200) :]
    assert "overdue" in late_row[: late_row.index("</tr>")]
    for reference in ("SS-DONE2", "SS-FRSH2"):  # answered, or not yet due: not overdue
        start = html.index(reference)
        assert "badge overdue" not in html[start : html.index("</tr>", start)]


def test_staff_change_the_priority_and_it_is_audited(settings: Settings, reviewer: Console) -> None:
    created = datetime(2025, 4, 17, 2, 0, tzinfo=timezone.utc)  # Thursday before Easter, 10:00 HKT
    make_inquiry(settings, created_at=created.isoformat())
    assert row_of(settings, "SS-ABCDE").due_on.isoformat() == "2025-04-23"
    page = reviewer.get("/console/inquiries/SS-ABCDE").text
    assert "no crisis signals" in page
    response = reviewer.post("/console/inquiries/SS-ABCDE/priority", {"priority": "urgent"})
    assert response.status_code == 302
    row = row_of(settings, "SS-ABCDE")
    assert row.priority == "urgent" and row.due_on.isoformat() == "2025-04-17"
    assert row.alerted_at is not None  # staff raised it themselves: nobody else is alerted
    with store(settings) as session:
        audit = session.execute(sa.select(AuditLog).where(AuditLog.action == "priority")).scalar_one()
        assert (audit.username, audit.target) == ("rita", "SS-ABCDE")
        assert audit.detail == "normal → urgent; due 2025-04-17"
    page = reviewer.get("/console/inquiries/SS-ABCDE").text
    assert "normal → urgent" in page and "by rita" in page
    # An unknown priority is refused and changes nothing.
    reviewer.post("/console/inquiries/SS-ABCDE/priority", {"priority": "whenever"})
    assert row_of(settings, "SS-ABCDE").priority == "urgent"


def test_is_overdue_counts_hong_kong_days_and_open_inquiries_only(settings: Settings) -> None:
    make_inquiry(settings, created_at=datetime(2025, 4, 17, 2, tzinfo=timezone.utc).isoformat())
    row = row_of(settings, "SS-ABCDE")  # due Wednesday 23 April 2025
    end_of_due_day = datetime(2025, 4, 23, 15, 59, tzinfo=timezone.utc)  # 23:59 HKT
    assert not inquiries.is_overdue(row, end_of_due_day)
    assert inquiries.is_overdue(row, end_of_due_day + timedelta(minutes=1))
    row.status = "answered"
    assert not inquiries.is_overdue(row, end_of_due_day + timedelta(days=3))


def test_dashboard_answer_times_by_priority_overdue_and_notifications(
    settings: Settings, reviewer: Console
) -> None:
    from safeshare.db.models import StaffNotification

    now = datetime.now(timezone.utc)
    make_inquiry(settings, "SS-URG33", created_at=(now - timedelta(hours=5)).isoformat(), priority="urgent")
    make_inquiry(settings, "SS-URG34", created_at=(now - timedelta(hours=6)).isoformat(), priority="urgent")
    make_inquiry(settings, "SS-NRM33", created_at=(now - timedelta(days=20)).isoformat())
    with store(settings) as session:
        for reference, after in (("SS-URG33", timedelta(hours=2)), ("SS-URG34", timedelta(hours=4))):
            row = session.execute(sa.select(Inquiry).where(Inquiry.reference == reference)).scalar_one()
            row.status, row.answered_at = "answered", row.created_at + after
        session.add_all(
            [
                StaffNotification(
                    kind="urgent",
                    channel="email",
                    dedupe_key="urgent:SS-URG33:email",
                    reference="SS-URG33",
                    subject="s",
                    body="b",
                    status="sent",
                    attempts=1,
                    next_attempt_at=now,
                    created_at=now,
                ),
                StaffNotification(
                    kind="urgent",
                    channel="telegram",
                    dedupe_key="urgent:SS-URG33:telegram",
                    reference="SS-URG33",
                    subject="s",
                    body="b",
                    status="failed",
                    attempts=10,
                    next_attempt_at=now,
                    created_at=now,
                    last_error="Telegram refused: Forbidden: bot was kicked",
                ),
            ]
        )
    html = reviewer.get("/console/dashboard").text
    urgent_line = re.search(r'<tr data-priority="urgent">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", urgent_line)
    assert cells[1:4] == ["2", "2", "3 h 00 min"]  # median of 2 h and 4 h
    assert re.search(r'id="tile-overdue">1<', html)  # the normal one from 20 days ago
    assert re.search(r'id="tile-notified">1<', html) and re.search(r'id="tile-notify-failed">1<', html)
    assert "Forbidden: bot was kicked" in html and "Notifications: off" in html
    # Staff send the failed one again: it waits to be sent, and the audit log says who.
    with store(settings) as session:
        failed_id = session.execute(
            sa.select(StaffNotification.id).where(StaffNotification.status == "failed")
        ).scalar_one()
    assert (
        reviewer.post(f"/console/notifications/{failed_id}/retry", page="/console/dashboard").status_code
        == 302
    )
    with store(settings) as session:
        row = session.get(StaffNotification, failed_id)
        assert (row.status, row.attempts) == ("pending", 0)
        assert (
            session.execute(
                sa.select(AuditLog.target).where(AuditLog.action == "notification_retry")
            ).scalar_one()
            == "SS-URG33"
        )
    assert (
        reviewer.post(f"/console/notifications/{failed_id}/retry", page="/console/dashboard").status_code
        == 404
    )
