"""The console's forms (Flask-WTF: each carries the CSRF token; CSRFProtect checks every POST)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length

from safeshare.catalogue import topics
from safeshare.db.models import Role
from safeshare.inquiries import PRIORITY_ORDER
from safeshare.web.accounts import MIN_PASSWORD_LENGTH

LANGUAGES = [("en", "English"), ("zh", "中文 (Traditional Chinese)")]
MAX_ANSWER = 4000


class LoginForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        "Answer to the user (English or Chinese)",
        validators=[DataRequired(), Length(max=MAX_ANSWER)],
        render_kw={"rows": 8},
    )


class PriorityForm(FlaskForm):
    priority = SelectField(
        "Set priority", choices=[(p.value, p.value) for p in PRIORITY_ORDER], validators=[DataRequired()]
    )


class NoteForm(FlaskForm):
    body = TextAreaField(
        "Internal note (never sent to the user)",
        validators=[DataRequired(), Length(max=4000)],
        render_kw={"rows": 3},
    )


def topic_choices() -> list[tuple[str, str]]:
    return [(t.id, f"{t.title_en} ({t.id})") for t in topics().values()]


class ExampleForm(FlaskForm):
    topic = SelectField("Topic", validators=[DataRequired()])
    text = TextAreaField("Example text", validators=[DataRequired(), Length(max=500)], render_kw={"rows": 2})
    language = SelectField("Language", choices=LANGUAGES, validators=[DataRequired()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.topic.choices = topic_choices()


class SuggestTopicForm(FlaskForm):
    title = StringField("New topic (short title)", validators=[DataRequired(), Length(max=200)])
    question = TextAreaField(
        "Question it should answer", validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 2}
    )


class DeleteForm(FlaskForm):
    confirm = BooleanField("Yes, delete this inquiry and its notes for good", validators=[DataRequired()])


class UserCreateForm(FlaskForm):
    username = StringField(
        "Username", validators=[DataRequired(), Length(min=2, max=64)], render_kw={"autocomplete": "off"}
    )
    role = SelectField("Role", choices=[(r.value, r.value) for r in Role], default=Role.reviewer.value)
    password = PasswordField(
        f"Password ({MIN_PASSWORD_LENGTH}+ characters)",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Same password again",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
