"""The texts of staff notifications, from templates (safeshare/notify/templates/*.txt).

Only these go into a template: the reference, priority, reason categories (fixed words chosen by
`safeshare.inquiries.triage`), dates and console links. Nothing the user typed is ever passed in,
so nothing the user typed can come out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path

import jinja2

from safeshare.db.models import Inquiry
from safeshare.settings import Settings
from safeshare.workdays import HKT

TEMPLATES = Path(__file__).resolve().parent / "templates"
DIGEST_LIMIT = 30  # items listed in one digest; the rest are counted


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # Plain text, not HTML: nothing to escape; StrictUndefined so a typo fails the tests.
    return jinja2.Environment(  # noqa: S701
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )


def _render(name: str, **context: object) -> str:
    return _environment().get_template(name).render(**context).strip()


def day_text(day: date | None) -> str:
    return day.strftime("%a %d %b %Y") if day else "not set"


def link(settings: Settings, reference: str) -> str:
    return f"{settings.public_url}/console/inquiries/{reference}"


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def urgent(inquiry: Inquiry, channel: str, settings: Settings) -> Message:
    created = inquiry.created_at
    context = {
        "reference": inquiry.reference,
        "priority": str(inquiry.priority),
        "reason": inquiry.priority_reason,
        "due": day_text(inquiry.due_on),
        "same_day": settings.staff_reply_days_urgent == 0,
        "received": _hk(created),
        "link": link(settings, inquiry.reference),
    }
    return Message(_render("urgent.subject.txt", **context), _render(f"urgent.{channel}.txt", **context))


def digest(day: date, items: list[Inquiry], channel: str, settings: Settings) -> Message:
    def item(row: Inquiry) -> dict[str, object]:
        return {
            "reference": row.reference,
            "priority": str(row.priority),
            "reason": row.priority_reason,
            "due": row.due_on.strftime("%a %d %b") if row.due_on else "",
            "link": link(settings, row.reference),
        }

    shown = items[:DIGEST_LIMIT]
    context = {
        "day": day_text(day),
        "overdue": [item(r) for r in shown if r.due_on and r.due_on < day],
        "due_today": [item(r) for r in shown if r.due_on == day],
        "overdue_total": sum(1 for r in items if r.due_on and r.due_on < day),
        "due_today_total": sum(1 for r in items if r.due_on == day),
        "more": len(items) - len(shown),
        "queue_link": f"{settings.public_url}/console/?sort=due",
    }
    return Message(_render("digest.subject.txt", **context), _render(f"digest.{channel}.txt", **context))


def _hk(moment: datetime) -> str:
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(HKT).strftime("%Y-%m-%d %H:%M")
