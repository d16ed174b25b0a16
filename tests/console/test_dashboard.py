"""The dashboard's numbers: inquiries per day and reason, topics and fallbacks from the tracker
store, feedback per topic, median time to first answer."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

import safeshare.tracker_events
from safeshare.db.models import Feedback, Inquiry
from safeshare.settings import Settings
from safeshare.web.console import charts, queries
from tests.console.conftest import Console, make_inquiry, store
from tests.helpers import rasa_events_table


def tracker_events(url: str, intents: list[str], when: datetime) -> None:
    """A user message per intent in Rasa's `events` table, each followed by the bot's action."""
    rasa_events_table(url)
    events = safeshare.tracker_events.events
    engine = sa.create_engine(url, future=True)
    with engine.begin() as conn:
        for n, intent in enumerate(intents):
            row = {"sender_id": f"u{n}", "timestamp": when.timestamp(), "data": "{}"}
            conn.execute(sa.insert(events).values(type_name="user", intent_name=intent, **row))
            conn.execute(sa.insert(events).values(type_name="action", action_name="utter_x", **row))
    engine.dispose()


def table(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return [
        re.findall(r"<td[^>]*>(.*?)</td>", row)
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body)
        if "<td" in row
    ]


def test_dashboard_numbers(settings: Settings, reviewer: Console) -> None:
    now = datetime.now(timezone.utc)
    make_inquiry(settings, "SS-AAAAA", created_at=(now - timedelta(hours=3)).isoformat())
    make_inquiry(
        settings, "SS-BBBBB", reason="repeated_fallback", created_at=(now - timedelta(hours=5)).isoformat()
    )
    make_inquiry(
        settings, "SS-CCCCC", reason="repeated_fallback", created_at=(now - timedelta(days=2)).isoformat()
    )
    make_inquiry(settings, "SS-DDDDD", created_at=(now - timedelta(days=40)).isoformat())
    # Answered 1 h, 3 h and 20 h after they came in: the median is 3 h.
    with store(settings) as session:
        for inquiry in session.execute(sa.select(Inquiry)).scalars():
            hours = {"SS-AAAAA": 1, "SS-BBBBB": 3, "SS-CCCCC": 20}.get(inquiry.reference)
            if hours:
                created = inquiry.created_at.replace(tzinfo=timezone.utc)
                inquiry.answered_at = created + timedelta(hours=hours)
                inquiry.status = "answered"
        session.add_all(
            [
                Feedback(topic="deepfake_explained", helpful=True, channel="rest", sender_key="a"),
                Feedback(topic="deepfake_explained", helpful=True, channel="rest", sender_key="b"),
                Feedback(topic="deepfake_explained", helpful=False, channel="rest", sender_key="c"),
                Feedback(topic="school_photos", helpful=False, channel="rest", sender_key="d"),
            ]
        )
    tracker_events(
        settings.tracker_db_url,
        ["deepfake_explained"] * 5 + ["school_photos"] * 2 + ["nlu_fallback"] * 2 + ["greet"],
        now - timedelta(hours=1),
    )
    tracker_events(settings.tracker_db_url, ["school_cctv"] * 9, now - timedelta(days=45))

    html = reviewer.get("/console/dashboard").text
    assert '<span class="tile-n" id="tile-inquiries">3</span>' in html
    assert "3 h 00 min" in html  # median time to first answer
    assert "20.0%" in html and "(2 of 10 messages)" in html  # fallback rate
    assert table(html, "per-reason") == [["repeated fallback", "2"], ["human handoff", "1"]]
    topics = table(html, "per-topic")
    assert [count for _, count in topics] == ["5", "2", "2"]
    assert "Not understood (fallback)" in topics[-1][0]
    assert table(html, "feedback")[0][1:] == ["2", "1", "67%"]
    per_day = table(html, "per-day")
    assert len(per_day) == 30 and sum(int(n) for _, n in per_day) == 3
    assert "<svg" in html and 'role="img"' in html and "<rect" in html


def test_dashboard_without_tracker_store(reviewer: Console) -> None:
    html = reviewer.get("/console/dashboard").text
    assert "No conversations recorded yet" in html
    assert '<span class="tile-n" id="tile-inquiries">0</span>' in html


def test_days_are_hong_kong_days() -> None:
    # 23:30 UTC on 1 March is 07:30 on 2 March in Hong Kong.
    late = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)
    days = queries.inquiries_per_day([late], today=date(2026, 3, 2), days=2)
    assert days == [(date(2026, 3, 1), 0), (date(2026, 3, 2), 1)]


def test_median_ignores_nothing_and_handles_none() -> None:
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    pairs = [(base, base + timedelta(minutes=m)) for m in (10, 30, 50, 70)]
    assert queries.median_time_to_answer(pairs) == timedelta(minutes=40)
    assert queries.median_time_to_answer([]) is None


def test_chart_geometry_is_proportional() -> None:
    chart = charts.columns([("a", 0), ("b", 5), ("c", 10)], width=300, height=104)
    assert [bar.height for bar in chart.bars] == [0, 50, 100]
    assert [bar.y for bar in chart.bars] == [104, 54, 4]
    assert chart.bars[1].x > chart.bars[0].x
    rows = charts.rows([("x", 4), ("y", 1)], width=200)
    assert [bar.width for bar in rows.bars] == [200, 50]
    split, height = charts.split_rows([("t", 3, 1)], width=100)
    assert (split[0].up_width, split[0].down_width, height) == (75, 25, 22)
