"""The dashboard: how many people escalate and why, what they ask, and how fast staff answer."""

from __future__ import annotations

from flask import render_template

from safeshare.catalogue import topics
from safeshare.web.console import bp, charts, queries
from safeshare.web.console.context import db, now, settings


@bp.route("/dashboard")
def dashboard() -> str:
    moment = now()
    data = queries.dashboard(db(), settings().tracker_db_url, moment)
    titles = topics()

    def title(name: str) -> str:
        topic = titles.get(name)
        return topic.title_en if topic else name

    feedback_bars, feedback_height = charts.split_rows(
        [(title(name), up, down) for name, up, down in data.feedback]
    )
    return render_template(
        "console/dashboard.html",
        data=data,
        title=title,
        per_day=charts.columns([(day.strftime("%d %b"), count) for day, count in data.days]),
        per_reason=charts.rows([(reason.replace("_", " "), n) for reason, n in data.reasons]),
        per_topic=charts.rows([(title(name), n) for name, n in data.usage.top]) if data.usage else None,
        feedback_bars=feedback_bars,
        feedback_height=feedback_height,
        moment=moment,
    )
