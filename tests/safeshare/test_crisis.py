"""The crisis lexicon: what it finds, in both languages, and what it leaves alone."""

import pytest

from safeshare.crisis import happened, is_crisis, signals


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "someone made a nude of me and wants $500 or he'll send it to my followers",
            {"sexual", "money", "threat"},
        ),
        ("ppl r sharing nudez of my daughter in her class group", {"sexual", "child"}),
        ("he says he will post the video unless i pay", {"threat"}),
        ("my son says he wants to die and won't go to school", {"child", "self_harm"}),
        ("a stranger knows where my daughter goes to school", {"child", "danger"}),
        ("有人用AI整咗我啲裸照，話唔俾錢就send出去", {"sexual", "money", "threat"}),
        ("我個女話唔想返學，唔想生存", {"child", "self_harm"}),
        ("佢知道我哋住邊，仲喺學校門口等我個仔", {"child", "danger"}),
        ("同學將佢個樣P落咸片度", {"sexual", "child"}),
        ("𠝹手", {"self_harm"}),
        (
            "a video of my daughter is going round her class chat and they all laugh at her",
            {"child", "bullying"},
        ),
        ("佢啲同學將我個女張相放上班群笑佢", {"child", "bullying"}),
        ("pay $3000 or they'll send the clip to your boss", {"money", "threat"}),
        ("對方話唔俾三萬就公開段片", {"money", "threat"}),
        (
            "a man keeps loitering near the kindergarten gate and now i know he found out which school",
            {"danger"},
        ),
        ("佢喺校門外徘徊", {"danger"}),
        ("he says he doesnt want to be alive", {"self_harm"}),
    ],
)
def test_signals_found(text, expected):
    assert expected <= signals(text)


@pytest.mark.parametrize(
    "text",
    [
        "what is the pdpo",
        "how do I make my instagram private",
        "photos taken at school sports day",
        "佢成日打我電話推銷",
        "Java have avatar",
        "can the gym keep a copy of my ID card",
        "私隱專員公署電話幾多號",
        "strangers keep following my daughter on instagram, how do i make her account private",
    ],
)
def test_ordinary_questions_show_no_crisis(text):
    assert not is_crisis(signals(text))


def test_a_child_or_money_or_mockery_alone_is_not_a_crisis():
    assert not is_crisis({"child"})
    assert not is_crisis({"money"})
    assert not is_crisis({"bullying"})
    assert is_crisis({"child", "money"})
    assert is_crisis({"child", "bullying"})
    assert is_crisis({"sexual"})


def test_happened_tells_a_report_from_an_abstract_question():
    assert happened("someone on ig made an ai nude of me")
    assert happened("班同學將我個仔個樣P落咸片度傳緊")
    assert not happened("is it illegal to make fake nudes")
    assert not happened("整假裸照犯唔犯法")
