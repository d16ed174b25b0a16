"""Training examples, their Rasa NLU YAML export, and topic suggestions."""

from __future__ import annotations

import sqlalchemy as sa
import yaml

from safeshare.db.models import TopicSuggestion, TrainingExample
from safeshare.settings import Settings
from safeshare.web.console.export import existing_examples, nlu_yaml
from tests.console.conftest import Console, make_inquiry, store


def rasa_examples(text: str) -> dict[str, list[str]]:
    """Parse with Rasa's own reader: what `rasa train` would see."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    data = RasaYAMLReader().reads(text)
    out: dict[str, list[str]] = {}
    for message in data.intent_examples:
        out.setdefault(message.get("intent"), []).append(message.get("text"))
    return out


def test_example_from_an_inquiry_is_exported_as_nlu_yaml(settings: Settings, admin: Console) -> None:
    make_inquiry(settings, question="Can a kindergarten put my son's face on Facebook?")
    page = admin.get("/console/inquiries/SS-ABCDE").text
    # The form offers the catalogue's topics, preselects the NLU guess, prefills the question.
    assert '<option selected value="school_photos">' in page
    assert "deepfake_explained" in page
    assert "Can a kindergarten put my son&#39;s face on Facebook?</textarea>" in page
    admin.post(
        "/console/inquiries/SS-ABCDE/examples",
        {
            "topic": "school_photos",
            "text": "Can a kindergarten put my son's face on Facebook?\n  without asking",
            "language": "en",
        },
    )
    admin.post(
        "/console/inquiries/SS-ABCDE/examples",
        {
            "topic": "deepfake_explained",
            "text": "深偽影片係點整出嚟㗎？",
            "language": "zh",
        },
    )
    listing = admin.get("/console/training").text
    assert "深偽影片係點整出嚟㗎？" in listing and "SS-ABCDE" in listing

    response = admin.get("/console/training/export.yml")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/yaml; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    text = response.get_data(as_text=True)
    data = yaml.safe_load(text)
    assert data["version"] == "3.1"
    assert [block["intent"] for block in data["nlu"]] == ["deepfake_explained", "school_photos"]
    assert rasa_examples(text) == {
        "deepfake_explained": ["深偽影片係點整出嚟㗎？"],
        "school_photos": ["Can a kindergarten put my son's face on Facebook? without asking"],
    }
    english = admin.get("/console/training/export.yml?language=en").get_data(as_text=True)
    assert list(rasa_examples(english)) == ["school_photos"]


def test_export_leaves_out_known_and_repeated_examples() -> None:
    known = existing_examples()
    existing = sorted(known["deepfake_explained"])[0]
    text, count = nlu_yaml(
        [
            ("deepfake_explained", existing),
            ("deepfake_explained", "  what   is a deep\tfake video really "),
            ("deepfake_explained", "What is a deep fake video really"),
            ("school_photos", "# not a comment: can schools post photos?"),
            ("school_photos", "\u0007"),
        ]
    )
    assert count == 2
    assert rasa_examples(text) == {
        "deepfake_explained": ["what is a deep fake video really"],
        "school_photos": ["# not a comment: can schools post photos?"],
    }


def test_empty_export_is_still_valid() -> None:
    text, count = nlu_yaml([], known={})
    assert count == 0
    assert yaml.safe_load(text) == {"version": "3.1", "nlu": []}


def test_topic_suggestions_are_listed(settings: Settings, reviewer: Console) -> None:
    make_inquiry(settings, question="Can my employer check my WhatsApp?")
    page = reviewer.get("/console/inquiries/SS-ABCDE").text
    assert "Can my employer check my WhatsApp?</textarea>" in page
    reviewer.post(
        "/console/inquiries/SS-ABCDE/suggest",
        {
            "title": "Workplace monitoring",
            "question": "Can my employer check my WhatsApp?",
        },
    )
    with store(settings) as session:
        row = session.execute(sa.select(TopicSuggestion)).scalar_one()
        assert row.title == "Workplace monitoring" and row.inquiry_id is not None
    listing = reviewer.get("/console/topics").text
    assert "Workplace monitoring" in listing and "Can my employer check my WhatsApp?" in listing
    assert 'href="/console/inquiries/SS-ABCDE"' in listing


def test_unknown_topic_is_refused(settings: Settings, reviewer: Console) -> None:
    make_inquiry(settings)
    reviewer.post(
        "/console/inquiries/SS-ABCDE/examples", {"topic": "not_a_topic", "text": "hello", "language": "en"}
    )
    with store(settings) as session:
        assert session.execute(sa.select(TrainingExample)).first() is None


def test_admin_removes_an_example(settings: Settings, admin: Console) -> None:
    make_inquiry(settings)
    admin.post(
        "/console/inquiries/SS-ABCDE/examples",
        {"topic": "school_photos", "text": "photo question", "language": "en"},
    )
    with store(settings) as session:
        example_id = session.execute(sa.select(TrainingExample.id)).scalar_one()
    admin.post(f"/console/training/{example_id}/delete", page="/console/training")
    with store(settings) as session:
        assert session.execute(sa.select(TrainingExample)).first() is None
