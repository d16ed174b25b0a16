"""The queue and the inquiry page: assign, answer (and deliver), priority, notes, close, reopen,
delete. What each action may do to an inquiry is decided in `safeshare.inquiries`."""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from safeshare import inquiries
from safeshare.catalogue import topics
from safeshare.db.models import AuditLog, Inquiry, InquiryNote
from safeshare.delivery import StaffAnswer, deliver_answer
from safeshare.errors import DeliveryError
from safeshare.inquiries import DeliveryStatus, Priority, TransitionRefused
from safeshare.web.console import auth, queries
from safeshare.web.console.blueprint import bp
from safeshare.web.console.context import db, now, settings
from safeshare.web.console.forms import (
    AnswerForm,
    DeleteForm,
    ExampleForm,
    NoteForm,
    PriorityForm,
    SuggestTopicForm,
)
from safeshare.workdays import hk_date

logger = logging.getLogger(__name__)
WIDGET_CONFIRM_SECONDS = 3.0


def _inquiry(reference: str) -> Inquiry:
    row = (
        db()
        .execute(
            sa.select(Inquiry)
            .options(joinedload(Inquiry.assigned_to), joinedload(Inquiry.answered_by))
            .where(Inquiry.reference == reference.upper())
        )
        .unique()
        .scalar_one_or_none()
    )
    if row is None:
        abort(404)
    return row


def _back(reference: str) -> Response:
    return redirect(url_for("console.inquiry", reference=reference))


def _form_errors(form: object) -> None:
    for field_errors in getattr(form, "errors", {}).values():
        for error in field_errors:
            flash(str(error), "error")


@bp.route("/")
def queue() -> str:
    filters = queries.QueueFilters.from_args(request.args)
    page = queries.queue(db(), filters)
    moment = now()
    return render_template(
        "console/queue.html",
        filters=filters,
        page=page,
        counts=queries.status_counts(db()),
        overdue=queries.overdue_count(db(), hk_date(moment)),
        priorities=queries.PRIORITIES,
        is_overdue=inquiries.is_overdue,
        today=hk_date(moment),
        languages=queries.distinct_values(db(), Inquiry.language),
        channels=queries.distinct_values(db(), Inquiry.channel),
        reasons=queries.distinct_values(db(), Inquiry.reason),
        top_guess=queries.top_guess,
        moment=moment,
    )


@bp.route("/inquiries/<reference>")
def inquiry(reference: str) -> str:
    row = _inquiry(reference)
    notes = (
        db()
        .execute(
            sa.select(InquiryNote)
            .options(joinedload(InquiryNote.author))
            .where(InquiryNote.inquiry_id == row.id)
            .order_by(InquiryNote.created_at)
        )
        .scalars()
        .all()
    )
    priority_changes = (
        db()
        .execute(
            sa.select(AuditLog)
            .where(AuditLog.action == "priority", AuditLog.target == row.reference)
            .order_by(AuditLog.created_at, AuditLog.id)
        )
        .scalars()
        .all()
    )
    guess = queries.top_guess(row)
    default_topic = guess.get("intent") if guess and guess.get("intent") in topics() else None
    auth.audit("view_inquiry", target=row.reference)
    db().commit()
    moment = now()
    return render_template(
        "console/inquiry.html",
        inquiry=row,
        notes=notes,
        priority_changes=priority_changes,
        priority_form=PriorityForm(priority=str(row.priority)),
        overdue=inquiries.is_overdue(row, moment),
        today=hk_date(moment),
        answer_form=AnswerForm(answer=row.staff_answer or ""),
        note_form=NoteForm(),
        example_form=ExampleForm(topic=default_topic, text=row.question, language=row.language),
        suggest_form=SuggestTopicForm(question=row.question),
        delete_form=DeleteForm(),
        topics=topics(),
        moment=moment,
    )


@bp.route("/inquiries/<reference>/priority", methods=["POST"])
def set_priority(reference: str) -> Response:
    row = _inquiry(reference)
    form = PriorityForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return _back(row.reference)
    new = Priority(form.priority.data)
    if row.priority == new:
        return _back(row.reference)
    old = inquiries.set_priority(row, new, settings(), now())
    auth.audit("priority", target=row.reference, detail=f"{old} → {new}; due {row.due_on}")
    db().commit()
    flash(f"{row.reference} is now {new}, due {row.due_on:%a %d %b %Y}.", "success")
    return _back(row.reference)


@bp.route("/inquiries/<reference>/assign", methods=["POST"])
def assign(reference: str) -> Response:
    row = _inquiry(reference)
    user = auth.current_user()
    inquiries.assign(row, user.id)
    auth.audit("assign", target=row.reference, detail=f"assigned to {user.username}")
    db().commit()
    flash(f"{row.reference} is assigned to you.", "success")
    return redirect(
        auth.safe_next(request.form.get("next"))
        if request.form.get("next")
        else url_for("console.inquiry", reference=row.reference)
    )


@bp.route("/inquiries/<reference>/answer", methods=["POST"])
def answer(reference: str) -> Response:
    row = _inquiry(reference)
    form = AnswerForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return _back(row.reference)
    user = auth.current_user()
    text = (form.answer.data or "").strip()
    try:
        inquiries.answer(row, text, user.id, now())
    except TransitionRefused as refused:
        flash(str(refused), "error")
        return _back(row.reference)
    auth.audit("answer", target=row.reference, detail=f"{len(text)} characters via {row.channel}")
    # Committed before delivery: the assistant's action reads the answer from the database.
    db().commit()
    _deliver(row)
    return _back(row.reference)


@bp.route("/inquiries/<reference>/deliver", methods=["POST"])
def redeliver(reference: str) -> Response:
    row = _inquiry(reference)
    if not inquiries.can_redeliver(row):
        flash("There is no answer to deliver.", "error")
        return _back(row.reference)
    _deliver(row)
    return _back(row.reference)


def _deliver(row: Inquiry) -> None:
    target = StaffAnswer(
        reference=row.reference,
        channel=row.channel,
        reply_address=row.reply_address,
        language=row.language,
        text=row.staff_answer or "",
    )
    error: str | None = None
    try:
        status = deliver_answer(target, settings())
    except DeliveryError as failure:
        status, error = DeliveryStatus.failed, str(failure).replace(settings().rasa_token, "***")[:1000]
        logger.warning("delivery of %s on %s failed: %s", row.reference, row.channel, error)
    if status == DeliveryStatus.pending and inquiries.confirmed_by_widget(row.channel):
        _wait_for_widget(row)
    db().refresh(row)  # the user's widget may have confirmed it meanwhile
    inquiries.record_delivery(row, status, error)
    auth.audit(
        "deliver", target=row.reference, detail=f"{row.delivery_status}" + (f": {error}" if error else "")
    )
    db().commit()
    if row.delivery_status == DeliveryStatus.delivered:
        flash(f"Answer sent to the user on {row.channel}.", "success")
    elif row.delivery_status == DeliveryStatus.pending:
        flash(
            "Answer saved. The user will see it when they come back "
            f"(or by typing “status {row.reference}”).",
            "success",
        )
    else:
        flash(f"Answer saved, but delivery failed: {error}", "error")


def _wait_for_widget(row: Inquiry) -> None:
    """A widget that is open confirms a staff answer a moment after showing it; wait that long,
    so the page says "delivered" when the user has it, and "pending" when nobody is there."""
    deadline = time.monotonic() + WIDGET_CONFIRM_SECONDS
    while time.monotonic() < deadline:
        db().refresh(row)
        if row.delivery_status == DeliveryStatus.delivered:
            return
        time.sleep(0.2)


@bp.route("/inquiries/<reference>/notes", methods=["POST"])
def add_note(reference: str) -> Response:
    row = _inquiry(reference)
    form = NoteForm()
    if form.validate_on_submit():
        user = auth.current_user()
        db().add(
            InquiryNote(
                inquiry_id=row.id, author_id=user.id, body=(form.body.data or "").strip(), created_at=now()
            )
        )
        auth.audit("note", target=row.reference)
        db().commit()
        flash("Note added.", "success")
    else:
        _form_errors(form)
    return _back(row.reference)


@bp.route("/inquiries/<reference>/close", methods=["POST"])
def close(reference: str) -> Response:
    row = _inquiry(reference)
    inquiries.close(row, now())
    auth.audit("close", target=row.reference)
    db().commit()
    flash(f"{row.reference} is closed.", "success")
    return _back(row.reference)


@bp.route("/inquiries/<reference>/reopen", methods=["POST"])
def reopen(reference: str) -> Response:
    row = _inquiry(reference)
    inquiries.reopen(row)
    auth.audit("reopen", target=row.reference)
    db().commit()
    flash(f"{row.reference} is open again.", "success")
    return _back(row.reference)


@bp.route("/inquiries/<reference>/delete", methods=["POST"])
@auth.admin_required
def delete(reference: str) -> Response:
    row = _inquiry(reference)
    form = DeleteForm()
    if not form.validate_on_submit():
        flash("Tick the box to confirm the deletion.", "error")
        return _back(row.reference)
    auth.audit("delete_inquiry", target=row.reference, detail=f"channel {row.channel}")
    db().delete(row)
    db().commit()
    flash(f"{row.reference} was deleted.", "success")
    return redirect(url_for("console.queue"))
