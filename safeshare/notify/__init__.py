"""Staff notifications: an alert for each new urgent inquiry at once, and a daily digest of what
is due or overdue, by email and/or to a staff Telegram chat.

Usage:
  python -m safeshare.web        runs the notifier in the web app (every SAFESHARE_NOTIFY_INTERVAL s)
  python -m safeshare notify     one pass now (for cron, or a separate container: --loop)
  python -m safeshare digest     today's digest now (at most once a day per channel)

How it works: an outbox in the database, sent by the web app.

1. Alerts. An urgent inquiry is written by the action server like any other (directly, or later
   from the spool); the action writes nothing else and sends nothing, so the user's conversation
   waits for no mail server. The notifier finds urgent inquiries nobody was alerted to
   (`inquiries.alerted_at` empty, made in the last ALERT_WINDOW) and, in one transaction, writes
   one `staff_notifications` row per configured channel and marks the inquiry alerted.
2. Digest. After SAFESHARE_DIGEST_TIME (Hong Kong time) it writes the day's digest rows, once:
   open inquiries due today or overdue, most urgent first (`skipped` when nothing is due).
3. Sending. Each row waiting to go is claimed with a conditional UPDATE (a lease of LEASE), sent
   outside any transaction, and marked sent, or given its error and a next attempt (30 s,
   doubling, at most an hour apart) until MAX_ATTEMPTS, then `failed`. The dashboard shows sent,
   waiting and failed rows with their last error, and staff can send a failed one again.

Why this shape, in both set-ups:
- The database is the one thing every set-up has (SQLite embedded, PostgreSQL scaled): the
  state of every notification survives restarts, and failures are there for the dashboard.
- The web app sends because it always runs (`make run` starts it) and, in docker-compose, it is
  the service with a route out (it already delivers staff answers to Telegram); the action
  server sits on the internal network only.
- Several web replicas are safe: unique `dedupe_key`s ("urgent:SS-7K3Q9:email",
  "digest:2025-01-06:telegram") make a second writer's rows a no-op, and the claim's conditional
  UPDATE lets one replica send a row. A sender that dies mid-send leaves a claim that expires, so
  the row is sent again (at least once, never lost).

Off by default: without SMTP_HOST and SAFESHARE_NOTIFY_EMAIL_TO, or SAFESHARE_NOTIFY_TELEGRAM_CHAT_ID
and TELEGRAM_BOT_TOKEN, nothing is written or sent, and the web app and `make run` say so.

What a notification says: the reference, priority, reason categories, due date and a console
link (templates in safeshare/notify/templates/). Never the user's words or contact details: the
text is made from those columns only.
"""

from __future__ import annotations

from safeshare.notify.channels import configured_channels, describe
from safeshare.notify.outbox import ALERT_WINDOW, LEASE, MAX_ATTEMPTS, PassResult, retry, run_once
from safeshare.notify.worker import Notifier, start_notifier

__all__ = [
    "ALERT_WINDOW",
    "LEASE",
    "MAX_ATTEMPTS",
    "Notifier",
    "PassResult",
    "configured_channels",
    "describe",
    "retry",
    "run_once",
    "start_notifier",
]
