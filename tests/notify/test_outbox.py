"""Staff notifications through a real SMTP server and the fake Bot API: urgent inquiries alert at
once, normal ones wait for the digest, failures are retried and shown, nothing the user wrote is
ever in a notification. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from safeshare import notify, workdays
from safeshare.db.models import Inquiry, NotificationStatus, StaffNotification
from safeshare.db.repository import erase_sender
from safeshare.db.session import create_engine, session_scope
from safeshare.notify import outbox
from safeshare.settings import get_settings
from tests.notify.conftest import SECRET_CONTACT, SECRET_QUESTION, STAFF_CHAT, add_inquiry


def hk(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=workdays.HKT).astimezone(timezone.utc)


def no_user_text(text: str) -> None:
    for secret in ("Chan", "Siu Ming", "Ka Yan", "9123", "4567", "[PHONE]", "nude", "3B", SECRET_CONTACT):
        assert secret not in text, secret


def rows(settings) -> list[StaffNotification]:
    engine = create_engine(settings.database_url)
    with session_scope(engine) as session:
        found = session.execute(sa.select(StaffNotification).order_by(StaffNotification.id)).scalars().all()
    engine.dispose()
    return list(found)


def test_urgent_inquiry_alerts_staff_at_once_by_email_and_telegram(notify_settings, inbox, tg):
    created = hk(2025, 4, 17, 10, 5)  # Thursday before Easter
    add_inquiry(
        notify_settings,
        "SS-URG7K",
        created,
        priority="urgent",
        priority_reason="sexual content; child affected",
    )
    result = notify.run_once(settings=notify_settings, now=created + timedelta(seconds=5))
    assert (result.alerts, result.sent, result.failed) == (2, 2, 0)

    email = inbox.wait_for(lambda m: "SS-URG7K" in m["Subject"], timeout=5)
    assert email["Subject"] == "[SafeShare] URGENT inquiry SS-URG7K, due Thu 17 Apr 2025"
    assert email["To"] == "duty@safeshare.example.org, lead@safeshare.example.org"
    assert sorted(inbox.envelopes[0].rcpt_tos) == ["duty@safeshare.example.org", "lead@safeshare.example.org"]
    body = email.get_content()
    assert "Reference: SS-URG7K" in body
    assert "Priority:  urgent" in body
    assert "Reason:    sexual content; child affected" in body
    assert "Due:       Thu 17 Apr 2025 (the same working day)" in body
    assert "Received:  2025-04-17 10:05 HKT" in body
    assert "https://safeshare.example.org/console/inquiries/SS-URG7K" in body
    no_user_text(email.as_string())

    message = tg.wait_for_message(STAFF_CHAT, contains="SS-URG7K", timeout=5)
    assert message["text"].startswith("🔴 URGENT inquiry SS-URG7K")
    assert "sexual content; child affected" in message["text"]
    assert "https://safeshare.example.org/console/inquiries/SS-URG7K" in message["text"]
    no_user_text(message["text"])

    # Once only: the next passes (or another replica) send nothing more.
    again = notify.run_once(settings=notify_settings, now=created + timedelta(minutes=1))
    assert (again.alerts, again.sent) == (0, 0)
    assert len(inbox.messages) == 1 and len(tg.sent_messages(STAFF_CHAT)) == 1
    assert {(r.channel, r.status) for r in rows(notify_settings)} == {("email", "sent"), ("telegram", "sent")}


def test_normal_inquiry_does_not_alert_but_is_in_the_digest(notify_settings, inbox, tg):
    notify_settings = dataclasses.replace(notify_settings, digest_time="09:00")
    created = hk(2025, 4, 17, 10, 0)  # due two working days later: Wednesday 23 April (Easter)
    add_inquiry(notify_settings, "SS-NRM7K", created, priority="normal")
    add_inquiry(
        notify_settings, "SS-HGH7K", created, priority="high", priority_reason="threats", channel="socketio"
    )
    result = notify.run_once(settings=notify_settings, now=created + timedelta(minutes=1))
    assert (result.alerts, result.sent) == (0, 0)
    assert inbox.messages == [] and tg.sent_messages(STAFF_CHAT) == []

    # Before the digest time on the due day: nothing yet.
    assert notify.run_once(settings=notify_settings, now=hk(2025, 4, 23, 8, 59)).digests == 0
    # Digest time on Wednesday 23 April: the normal one is due today, the high one overdue.
    result = notify.run_once(settings=notify_settings, now=hk(2025, 4, 23, 9, 0))
    assert (result.digests, result.sent) == (2, 2)
    email = inbox.wait_for(lambda m: "Digest" in m["Subject"], timeout=5)
    assert email["Subject"] == "[SafeShare] Digest Wed 23 Apr 2025: 1 overdue, 1 due today"
    body = email.get_content()
    overdue, today = body.split("DUE TODAY")
    assert "SS-HGH7K  HIGH  due Tue 22 Apr  threats" in overdue
    assert "SS-NRM7K  NORMAL" in today
    assert "https://safeshare.example.org/console/inquiries/SS-NRM7K" in today
    no_user_text(body)
    telegram = tg.wait_for_message(STAFF_CHAT, contains="digest", timeout=5)["text"]
    assert "SS-NRM7K" in telegram and "SS-HGH7K" in telegram
    no_user_text(telegram)
    # Once a day.
    assert notify.run_once(settings=notify_settings, now=hk(2025, 4, 23, 15, 0)).digests == 0
    assert len(inbox.messages) == 1


def test_a_day_with_nothing_due_sends_no_digest(notify_settings, inbox, tg):
    notify_settings = dataclasses.replace(notify_settings, digest_time="09:00")
    add_inquiry(notify_settings, "SS-NRM8K", hk(2025, 4, 22, 10), priority="normal")  # due Thursday
    result = notify.run_once(settings=notify_settings, now=hk(2025, 4, 22, 9, 30))
    assert result.digests == 2 and result.sent == 0
    assert {r.status for r in rows(notify_settings)} == {NotificationStatus.skipped}
    assert inbox.messages == [] and tg.sent_messages(STAFF_CHAT) == []


def test_failures_are_retried_with_backoff_and_then_given_up(notify_settings, inbox, tg):
    created = hk(2025, 4, 17, 11)
    add_inquiry(notify_settings, "SS-RTY7K", created, priority="urgent", priority_reason="self-harm risk")
    inbox.stop()  # the mail server is down
    tg.fail_next("sendMessage", status=502)  # and Telegram has a bad moment
    first = notify.run_once(settings=notify_settings, now=created)
    assert (first.sent, first.failed) == (0, 2)
    failing = {r.channel: r for r in rows(notify_settings)}
    assert failing["email"].status == "pending" and failing["email"].attempts == 1
    assert "mail server unreachable" in failing["email"].last_error
    assert failing["telegram"].last_error == "Telegram refused: Bad Gateway"
    assert notify_settings.telegram_bot_token not in failing["telegram"].last_error

    # Not again before its time has come...
    assert notify.run_once(settings=notify_settings, now=created + timedelta(seconds=10)).failed == 0
    # ...then retried: Telegram is back, the mail server still down (next wait doubles).
    later = created + outbox.retry_delay(1)
    second = notify.run_once(settings=notify_settings, now=later)
    assert (second.sent, second.failed) == (1, 1)
    assert "SS-RTY7K" in tg.sent_messages(STAFF_CHAT)[0]["text"]
    email_row = next(r for r in rows(notify_settings) if r.channel == "email")
    assert email_row.attempts == 2
    assert outbox.retry_delay(2) == timedelta(seconds=60) and outbox.retry_delay(20).total_seconds() == 3600

    # The mail server is back: the retry delivers it once.
    inbox.start()
    third = notify.run_once(settings=notify_settings, now=later + outbox.retry_delay(2))
    assert third.sent == 1
    assert len(inbox.wait_for(lambda m: True, timeout=5).get_content()) > 0
    assert all(r.status == "sent" for r in rows(notify_settings))


def test_after_the_last_attempt_it_is_failed_until_staff_retry(notify_settings, inbox):
    created = hk(2025, 4, 17, 11)
    add_inquiry(notify_settings, "SS-FLD7K", created, priority="urgent")
    settings = dataclasses.replace(notify_settings, notify_telegram_chat_id="")  # email only
    inbox.stop()
    moment = created
    for _ in range(outbox.MAX_ATTEMPTS):
        notify.run_once(settings=settings, now=moment)
        moment += timedelta(hours=2)
    [row] = rows(settings)
    assert (row.status, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    inbox.start()
    assert notify.run_once(settings=settings, now=moment).sent == 0  # given up
    engine = create_engine(settings.database_url)
    with session_scope(engine) as session:
        assert outbox.retry(session, row.id, moment) is not None
    engine.dispose()
    assert notify.run_once(settings=settings, now=moment + timedelta(seconds=1)).sent == 1


def test_one_row_is_claimed_by_one_sender(notify_settings):
    created = hk(2025, 4, 17, 11)
    add_inquiry(notify_settings, "SS-CLM7K", created, priority="urgent")
    engine = create_engine(notify_settings.database_url)
    with session_scope(engine) as session:
        assert (
            outbox.write_alerts(
                session, notify.configured_channels(notify_settings), notify_settings, created
            )
            == 2
        )
    first = outbox.claim(engine, created)
    second = outbox.claim(engine, created)  # another replica, at the same moment
    assert len(first) == 2 and second == []
    # A sender that died holding a claim: the row is free again once the lease is over.
    assert len(outbox.claim(engine, created + outbox.LEASE + timedelta(seconds=1))) == 2
    engine.dispose()


def test_urgent_inquiries_from_before_the_alert_window_are_not_alerted(notify_settings, inbox):
    add_inquiry(notify_settings, "SS-OLD7K", hk(2025, 4, 1, 10), priority="urgent")
    result = notify.run_once(settings=notify_settings, now=hk(2025, 4, 17, 8))
    assert result.alerts == 0 and inbox.messages == []


def test_erasing_a_users_data_erases_notifications_about_them(notify_settings):
    created = hk(2025, 4, 17, 11)
    add_inquiry(notify_settings, "SS-ERS7K", created, priority="urgent")
    add_inquiry(notify_settings, "SS-KEP7K", created, priority="urgent")
    notify.run_once(settings=notify_settings, now=created)
    engine = create_engine(notify_settings.database_url)
    with session_scope(engine) as session:
        assert erase_sender(session, "sender-SS-ERS7K")["inquiries"] == 1
    with session_scope(engine) as session:
        left = session.execute(sa.select(StaffNotification.reference)).scalars().all()
        assert set(left) == {"SS-KEP7K"}
        assert session.execute(sa.select(sa.func.count()).select_from(Inquiry)).scalar_one() == 1
    engine.dispose()


def test_off_by_default_and_said_at_start_up(store_url, caplog):
    settings = dataclasses.replace(get_settings(), database_url=store_url)
    assert notify.configured_channels(settings) == []
    assert notify.describe(settings).startswith("off (set SMTP_HOST")
    add_inquiry(settings, "SS-OFF7K", hk(2025, 4, 17, 11), priority="urgent")
    assert notify.run_once(settings=settings, now=hk(2025, 4, 17, 11)) == outbox.PassResult()
    assert rows(settings) == []
    with caplog.at_level(logging.INFO, logger="safeshare.notify"):
        assert notify.start_notifier(settings) is None
    assert "staff notifications: off" in caplog.text


def test_smtp_login(store_url):
    from tests.fakes.smtp_server import SmtpInbox

    with SmtpInbox(login=("safeshare", "s3cret-pass")) as inbox:
        settings = dataclasses.replace(
            get_settings(),
            database_url=store_url,
            smtp_host="127.0.0.1",
            smtp_port=inbox.port,
            smtp_security="none",
            smtp_username="safeshare",
            smtp_password="wrong",
            notify_email_to=("duty@example.org",),
        )
        [channel] = notify.configured_channels(settings)
        try:
            channel.send("subject", "body")
        except Exception as error:  # noqa: BLE001
            assert "refused: 535" in str(error) and "wrong" not in str(error)
        else:
            raise AssertionError("a wrong password was accepted")
        [channel] = notify.configured_channels(dataclasses.replace(settings, smtp_password="s3cret-pass"))
        channel.send("[SafeShare] test", "body")
        assert inbox.wait_for(lambda m: m["Subject"] == "[SafeShare] test", timeout=5)


def test_commands_say_when_notifications_are_off(capsys):
    from safeshare.__main__ import main

    assert main(["digest"]) == 1
    assert "staff notifications are off" in capsys.readouterr().out
    assert main(["notify"]) == 0
    assert "staff notifications: off" in capsys.readouterr().out


def test_an_urgent_inquiry_spooled_while_the_database_was_down_still_alerts(notify_settings, inbox, tmp_path):
    from safeshare.db import repository, spool

    created = hk(2025, 4, 17, 11)
    new = repository.NewInquiry(
        reference="SS-SPL7K",
        channel="socketio",
        sender_key="k",
        language="zh",
        question=SECRET_QUESTION,
        reason="human_handoff",
        created_at=created.isoformat(),
        priority="urgent",
        priority_reason="self-harm risk",
    )
    spool.write_to_spool(new, tmp_path)
    engine = create_engine(notify_settings.database_url)
    assert spool.flush(engine, tmp_path) == 1
    engine.dispose()
    result = notify.run_once(settings=notify_settings, now=created + timedelta(minutes=3))
    assert result.sent == 2
    assert "self-harm risk" in inbox.wait_for(lambda m: "SS-SPL7K" in m["Subject"], timeout=5).get_content()


def test_retention_deletes_old_notifications(notify_settings):
    from safeshare.db.repository import purge_expired

    created = hk(2025, 4, 17, 11)
    add_inquiry(notify_settings, "SS-RET7K", created, priority="urgent")
    notify.run_once(settings=notify_settings, now=created)
    engine = create_engine(notify_settings.database_url)
    with session_scope(engine) as session:
        purge_expired(session, 180, now=created + timedelta(days=179))
    assert len(rows(notify_settings)) == 2
    with session_scope(engine) as session:
        purge_expired(session, 180, now=created + timedelta(days=181))
    engine.dispose()
    assert rows(notify_settings) == []
