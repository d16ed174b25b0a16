"""Improving the assistant from real questions: training examples, their export, topic ideas."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from safeshare.catalogue import topics
from safeshare.db.models import Inquiry, StaffUser, TopicSuggestion, TrainingExample
from safeshare.web.console import auth
from safeshare.web.console.blueprint import bp
from safeshare.web.console.context import db, now
from safeshare.web.console.export import nlu_yaml
from safeshare.web.console.forms import ExampleForm, SuggestTopicForm
from safeshare.web.console.views_inquiries import _form_errors, _inquiry


@bp.route("/inquiries/<reference>/examples", methods=["POST"])
def add_example(reference: str) -> BaseResponse:
    row = _inquiry(reference)
    form = ExampleForm()
    if form.validate_on_submit():
        text = (form.text.data or "").strip()
        db().add(
            TrainingExample(
                inquiry_id=row.id,
                topic=form.topic.data,
                text=text,
                language=form.language.data,
                created_by_id=auth.current_user().id,
                created_at=now(),
            )
        )
        auth.audit("add_example", target=row.reference, detail=f"topic {form.topic.data}")
        db().commit()
        flash(f"Added a training example for “{form.topic.data}”.", "success")
    else:
        _form_errors(form)
    return redirect(url_for("console.inquiry", reference=row.reference))


@bp.route("/inquiries/<reference>/suggest", methods=["POST"])
def suggest_topic(reference: str) -> BaseResponse:
    row = _inquiry(reference)
    form = SuggestTopicForm()
    if form.validate_on_submit():
        db().add(
            TopicSuggestion(
                inquiry_id=row.id,
                title=(form.title.data or "").strip(),
                question=(form.question.data or "").strip(),
                created_by_id=auth.current_user().id,
                created_at=now(),
            )
        )
        auth.audit("suggest_topic", target=row.reference, detail=(form.title.data or "")[:200])
        db().commit()
        flash("Thanks: the topic suggestion is recorded.", "success")
    else:
        _form_errors(form)
    return redirect(url_for("console.inquiry", reference=row.reference))


@bp.route("/training")
def training() -> str:
    rows = (
        db()
        .execute(
            sa.select(TrainingExample, Inquiry.reference, StaffUser.username)
            .outerjoin(Inquiry, Inquiry.id == TrainingExample.inquiry_id)
            .outerjoin(StaffUser, StaffUser.id == TrainingExample.created_by_id)
            .order_by(TrainingExample.topic, TrainingExample.created_at)
        )
        .all()
    )
    return render_template("console/training.html", rows=rows, topics=topics())


@bp.route("/training/<int:example_id>/delete", methods=["POST"])
@auth.admin_required
def delete_example(example_id: int) -> BaseResponse:
    example = db().get(TrainingExample, example_id)
    if example is not None:
        auth.audit("delete_example", target=str(example_id), detail=f"topic {example.topic}")
        db().delete(example)
        db().commit()
        flash("The example was removed.", "success")
    return redirect(url_for("console.training"))


@bp.route("/training/export.yml")
@auth.admin_required
def export_training() -> Response:
    language = request.args.get("language", "")
    query = sa.select(TrainingExample.topic, TrainingExample.text)
    if language in {"en", "zh"}:
        query = query.where(TrainingExample.language == language)
    else:
        language = ""
    examples = db().execute(query.order_by(TrainingExample.topic, TrainingExample.created_at)).all()
    moment = now()
    text, count = nlu_yaml([(topic, example) for topic, example in examples], generated_at=moment)
    auth.audit(
        "export",
        target="training_examples",
        detail=f"{count} examples" + (f", language {language}" if language else ""),
    )
    db().commit()
    name = f"safeshare-nlu-{language + '-' if language else ''}{moment:%Y%m%d-%H%M}.yml"
    return Response(
        text.encode("utf-8"),
        content_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/topics")
def suggestions() -> str:
    rows = (
        db()
        .execute(
            sa.select(TopicSuggestion, Inquiry.reference, StaffUser.username)
            .outerjoin(Inquiry, Inquiry.id == TopicSuggestion.inquiry_id)
            .outerjoin(StaffUser, StaffUser.id == TopicSuggestion.created_by_id)
            .order_by(TopicSuggestion.created_at.desc())
        )
        .all()
    )
    return render_template("console/topics.html", rows=rows)
