from urllib.parse import parse_qs, urlparse

import pytest

from actions.erasure import ActionForgetMyData
from actions.feedback import ActionRecordFeedback
from actions.flows import ActionHandleInform, ActionSchoolPlan, plan_url, report_steps
from actions.language import ActionSetLanguage
from safeshare.db import repository
from safeshare.db.session import session_scope
from tests.actions.conftest import action, make_tracker, responses, user


def test_child_sexual_image_report_steps_in_order():
    steps = report_steps("child", "sexual", "instagram")
    assert steps[0] == "utter_report_safety"  # 999 first
    assert steps == [
        "utter_report_safety",
        "utter_report_evidence",
        "utter_report_platform_instagram",
        "utter_report_police",
        "utter_report_takeitdown",
        "utter_report_rainlily",
        "utter_report_pcpd",
        "utter_report_school",
        "utter_report_support",
        "utter_offer_escalation",
    ]


@pytest.mark.parametrize(
    ("affected", "kind", "platform", "present", "absent"),
    [
        (
            "self",
            "sexual",
            "x",
            {"utter_report_stopncii", "utter_report_police"},
            {"utter_report_takeitdown", "utter_report_school"},
        ),
        (
            "self",
            "money",
            "whatsapp",
            {"utter_report_money", "utter_report_police"},
            {"utter_report_rainlily"},
        ),
        (
            "student",
            "threat",
            "other",
            {"utter_report_school", "utter_report_platform_other"},
            {"utter_report_money"},
        ),
        ("other", "other", "tiktok", {"utter_report_pcpd"}, {"utter_report_police", "utter_report_school"}),
        (None, None, "myspace", {"utter_report_platform_other"}, set()),
    ],
)
def test_report_branches(affected, kind, platform, present, absent):
    steps = set(report_steps(affected, kind, platform))
    assert present <= steps and not (absent & steps)


def test_plan_url_encodes_answers():
    url = plan_url(
        {"crisis_team": True, "antibullying": False, "parent_comms": True, "staff_training": False}, "zh"
    )
    query = parse_qs(urlparse(url).query)
    assert urlparse(url).path == "/plan/school.md"
    assert query == {
        "crisis_team": ["1"],
        "antibullying": ["0"],
        "parent_comms": ["1"],
        "staff_training": ["0"],
        "lang": ["zh"],
    }


async def test_school_plan_offers_the_document(dispatcher):
    tracker = make_tracker(
        [],
        {
            "has_crisis_team": False,
            "has_antibullying": True,
            "has_parent_comms": False,
            "has_staff_training": True,
            "language": "en",
        },
    )
    events = await ActionSchoolPlan().run(dispatcher, tracker, {})
    message = dispatcher.messages[0]
    assert message["response"] == "utter_school_plan_ready"
    assert "crisis_team=0" in message["plan_url"]
    assert message["custom"]["document"]["filename"].endswith(".md")
    assert {e["name"] for e in events} == {
        "has_crisis_team",
        "has_antibullying",
        "has_parent_comms",
        "has_staff_training",
    }


async def test_and_for_tiktok(dispatcher):
    tracker = make_tracker(
        [user("and for tiktok?", "inform", entities=[{"entity": "platform", "value": "tiktok"}])]
    )
    await ActionHandleInform().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_privacy_tiktok", "utter_privacy_more"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("中文", "zh"),
        ("可唔可以講英文", "en"),
        ("reply in Chinese please", "zh"),
        ("English please", "en"),
        ("廣東話啦", "zh"),
    ],
)
async def test_set_language(dispatcher, text, expected):
    events = await ActionSetLanguage().run(dispatcher, make_tracker([user(text, "set_language")]), {})
    assert {"event": "slot", "name": "language_pref", "value": expected, "timestamp": None} in events
    assert dispatcher.messages[0]["language"] == expected


async def test_feedback_is_stored_for_the_answered_topic(dispatcher):
    events = [
        user("how to spot a deepfake", "deepfake_spotting"),
        action("utter_deepfake_spotting"),
        user("👍", "feedback_helpful"),
    ]
    await ActionRecordFeedback().run(dispatcher, make_tracker(events, sender="fb-user"), {})
    import sqlalchemy as sa

    from safeshare.db.models import Feedback

    with session_scope() as session:
        row = session.execute(
            sa.select(Feedback).where(Feedback.sender_key == repository.sender_key("fb-user"))
        ).scalar_one()
        assert (row.topic, row.helpful) == ("deepfake_spotting", True)


async def test_forget_my_data_erases_and_says_what(dispatcher):
    key = repository.sender_key("forget-me")
    with session_scope() as session:
        repository.create_inquiry(
            session,
            repository.NewInquiry(
                reference=repository.new_reference(),
                channel="rest",
                sender_key=key,
                language="en",
                question="q",
                reason="human_handoff",
            ),
        )
        repository.record_feedback(
            session, topic="greet", helpful=True, language="en", channel="rest", sender=key
        )
    await ActionForgetMyData().run(dispatcher, make_tracker([user("yes", "affirm")], sender="forget-me"), {})
    message = dispatcher.messages[0]
    assert (message["response"], message["inquiries"], message["feedback"]) == ("utter_forget_done", 1, 1)
    with session_scope() as session:
        assert repository.erase_sender(session, key) == {"inquiries": 0, "feedback": 0}
