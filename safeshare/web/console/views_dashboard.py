"""The dashboard: how many people escalate and why, what they ask, how fast staff answer each
priority, what is overdue, and whether staff notifications go out (failed ones can be resent)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from safeshare.catalogue import topics
from safeshare.notify import describe, retry
from safeshare.web.console import auth, charts, queries
from safeshare.web.console.blueprint import bp
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
        notify_status=describe(settings()),
        moment=moment,
    )


@bp.route("/notifications/<int:notification_id>/retry", methods=["POST"])
def retry_notification(notification_id: int) -> Response:
    row = retry(db(), notification_id, now())
    if row is None:
        abort(404)
    auth.audit("notification_retry", target=row.reference or row.dedupe_key[:64], detail=row.channel)
    db().commit()
    flash(f"The {row.channel} notification will be sent again in a moment.", "success")
    return redirect(url_for("console.dashboard") + "#notifications")
