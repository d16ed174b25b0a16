"""Rendering Rasa's replies for Telegram: joining texts, keyboards, callback keys, documents."""

from __future__ import annotations

from bot.rendering import (
    CALLBACK_DATA_LIMIT,
    CHOSEN,
    KEY_PREFIX,
    Button,
    CallbackPayloads,
    DocumentMessage,
    TextMessage,
    chosen_keyboard,
    chosen_title,
    from_rasa,
    keyboard,
)
from safeshare import responses


def test_from_rasa_text_buttons_and_document() -> None:
    replies = [
        {"recipient_id": "x", "text": "First"},
        {
            "recipient_id": "x",
            "text": "Pick one",
            "buttons": [
                {"title": "Instagram", "payload": '/inform{"platform":"instagram"}'},
                {"title": "", "payload": "/ignored"},
            ],
        },
        {
            "recipient_id": "x",
            "custom": {
                "document": {"url": "http://127.0.0.1:8000/plan/school.md?lang=en", "filename": "plan.md"}
            },
        },
        {"recipient_id": "x", "custom": {"something_else": 1}},
    ]
    out = from_rasa(replies)
    assert out == [
        TextMessage("First\n\nPick one", (Button("Instagram", '/inform{"platform":"instagram"}'),)),
        DocumentMessage("http://127.0.0.1:8000/plan/school.md?lang=en", "plan.md"),
    ]


def test_from_rasa_joins_the_paragraphs_rasa_split() -> None:
    """Rasa's REST channel sends each paragraph of a response separately."""
    # answers are short now; a two-paragraph text stands in for a long one
    answer = "\n\n".join(
        responses.text(name, "en") for name in ("utter_deepfake_explained", "utter_deepfake_explained_more")
    )
    replies = [{"text": part} for part in answer.split("\n\n")]
    replies.append(
        {
            "text": "Was this helpful?",
            "buttons": [
                {"title": "👍", "payload": "/feedback_helpful"},
                {"title": "👎", "payload": "/feedback_not_helpful"},
            ],
        }
    )
    replies.append({"text": "Anything else?"})
    assert len(replies) >= 4
    assert from_rasa(replies) == [
        TextMessage(
            answer + "\n\nWas this helpful?",
            (Button("👍", "/feedback_helpful"), Button("👎", "/feedback_not_helpful")),
        ),
        TextMessage("Anything else?"),
    ]


def test_from_rasa_buttons_go_under_the_last_piece_of_a_long_text() -> None:
    text = ("para " * 400 + "\n\n") * 4
    out = from_rasa([{"text": text, "buttons": [{"title": "Help", "payload": "/help"}]}])
    assert len(out) >= 2
    assert all(isinstance(m, TextMessage) for m in out)
    assert [bool(m.buttons) for m in out] == [False] * (len(out) - 1) + [True]


def test_from_rasa_buttons_without_text_join_the_previous_message() -> None:
    out = from_rasa([{"text": "Question?"}, {"buttons": [{"title": "Yes", "payload": "/affirm"}]}])
    assert out == [TextMessage("Question?", (Button("Yes", "/affirm"),))]


def test_document_filename_defaults_to_the_url_path() -> None:
    out = from_rasa([{"custom": {"document": {"url": "http://h/plan/school.md?x=1"}}}])
    assert out == [DocumentMessage("http://h/plan/school.md?x=1", "school.md")]


def test_callback_payloads_short_pass_through_long_get_keys() -> None:
    payloads = CallbackPayloads()
    short = '/inform{"platform":"instagram"}'
    assert payloads.encode(short) == short
    long = '/inform{"platform":"instagram","affected":"child","content_kind":"sexual","x":"y"}'
    assert len(long.encode()) > CALLBACK_DATA_LIMIT
    key = payloads.encode(long)
    assert key.startswith(KEY_PREFIX)
    assert len(key.encode()) <= CALLBACK_DATA_LIMIT
    assert payloads.encode(long) == key  # stable
    assert payloads.decode(key) == long
    assert payloads.decode(short) == short
    assert payloads.decode(KEY_PREFIX + "unknown") is None
    assert payloads.decode(CHOSEN) is None
    # Multibyte payloads are measured in bytes, as Telegram does.
    chinese = "/inform" + "深" * 20  # 7 + 60 bytes
    assert payloads.encode(chinese).startswith(KEY_PREFIX)
    # A payload that looks like one of our keys is itself keyed, so it cannot be misread.
    assert payloads.decode(payloads.encode(CHOSEN)) == CHOSEN


def test_callback_payloads_are_bounded() -> None:
    payloads = CallbackPayloads(capacity=3)
    keys = [payloads.encode("/x" + str(i) * 80) for i in range(5)]
    assert payloads.decode(keys[0]) is None
    assert payloads.decode(keys[-1]) == "/x4" + "4" * 79


def test_keyboard_layout_and_data() -> None:
    payloads = CallbackPayloads()
    buttons = [
        Button(b["title"], b["payload"]) for b in responses.variation("utter_help", "en")["buttons"]
    ] + [Button("PCPD website", "https://www.pcpd.org.hk/")]
    markup = keyboard(buttons, payloads)
    assert markup is not None
    rows = markup.inline_keyboard
    flat = [b for row in rows for b in row]
    assert [b.text for b in flat] == [b.title for b in buttons]
    assert all(len(row) <= 2 for row in rows)
    assert all(len(b.text) <= 18 for row in rows if len(row) == 2 for b in row)
    assert flat[0].callback_data == "/deepfake_explained"
    assert flat[-1].url == "https://www.pcpd.org.hk/" and flat[-1].callback_data is None
    assert keyboard((), payloads) is None


def test_chosen_title_and_keyboard() -> None:
    payloads = CallbackPayloads()
    markup = keyboard((Button("English", "/a"), Button("繁體中文", "/b")), payloads)
    assert chosen_title(markup, "/b") == "繁體中文"
    assert chosen_title(markup, "/c") is None
    assert chosen_title(None, "/b") is None
    chosen = chosen_keyboard("繁體中文").inline_keyboard
    assert [[b.text for b in row] for row in chosen] == [["✓ 繁體中文"]]
    assert chosen[0][0].callback_data == CHOSEN
