import pytest

from safeshare.language import detect, effective


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("點樣將個IG set做private？", "zh"),
        ("what is a deepfake", "en"),
        ("deepfake係咩", "zh"),
        ("ok", None),
        ("👍", None),
        ("/affirm", None),
        ("", None),
        ("SS-7K3Q9", None),
        ("如何投訴", "zh"),
        ("什么是深度伪造", "zh"),
    ],
)
def test_detect(text, expected):
    assert detect(text) == expected


def test_choice_beats_detection():
    assert effective({"language": "zh", "language_pref": "en"}) == "en"
    assert effective({"language": "zh", "language_pref": None}) == "zh"
    assert effective({}) == "en"
    assert effective({"language": "fr"}) == "en"
