from urllib.parse import parse_qs, urlparse

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.erasure import ActionForgetMyData
from actions.feedback import ActionRecordFeedback
from actions.flows import (
    PLATFORMS,
    ActionHandleInform,
    ActionReportDeepfakeSteps,
    ActionResetFlow,
    ActionSchoolPlan,
    plan_url,
    platforms,
    report_steps,
)
from actions.language import ActionSetLanguage
from safeshare import domain, identity
from safeshare.db import repository
from safeshare.db.session import session_scope
from tests.actions.conftest import action, make_tracker, responses, user


def test_child_sexual_image_report_steps_in_order():
    steps = report_steps("child", "sexual", "instagram")
    assert steps == [
        "utter_report_now_sexual",  # 999, note the link instead of keeping the image, the police
        "utter_report_platform_instagram",
        "utter_report_removal_young",  # Take It Down, RainLily
        "utter_report_pcpd_young",  # the school, Cap. 650, the PCPD
        "utter_report_support",  # SWD hotline, then the offer of staff follow-up
    ]


@pytest.mark.parametrize(
    ("affected", "kind", "platform", "present", "absent"),
    [
        # "Me" may be a teenager: Take It Down (under 18) comes with StopNCII (18+), not instead
        ("self", "sexual", "x", {"utter_report_removal_self"}, {"utter_report_pcpd_young"}),
        ("other", "sexual", "x", {"utter_report_removal_adult"}, {"utter_report_removal_young"}),
        ("student", "sexual", "tiktok", {"utter_report_removal_young"}, {"utter_report_removal_adult"}),
        (
            "self",
            "money",
            "whatsapp",
            {"utter_report_now_money", "utter_report_scam"},
            {"utter_report_threat"},
        ),
        (
            "student",
            "threat",
            "other",
            {"utter_report_now_threat", "utter_report_threat", "utter_report_pcpd_young"},
            {"utter_report_scam"},
        ),
        (
            "other",
            "other",
            "tiktok",
            {"utter_report_now_other", "utter_report_pcpd"},
            {"utter_report_threat"},
        ),
        (None, None, "myspace", {"utter_report_platform_other", "utter_report_now_other"}, set()),
    ],
)
def test_report_branches(affected, kind, platform, present, absent):
    steps = report_steps(affected, kind, platform)
    assert present <= set(steps) and not (absent & set(steps))
    assert steps[-1] == "utter_report_support"
    assert len(steps) == len(set(steps))


def test_every_report_step_exists_in_both_languages():
    from safeshare.responses import all_responses

    names = set(all_responses())
    for affected in ("child", "self", "student", "other", None):
        for kind in ("sexual", "threat", "money", "other", None):
            for platform in (*domain.slot_values("platform"), None):
                assert set(report_steps(affected, kind, platform)) <= names


def test_the_platforms_are_the_domains():
    from safeshare.responses import all_responses

    names = set(all_responses())
    assert (*platforms(), "other") == domain.slot_values("platform")
    assert set(PLATFORMS) < set(platforms())
    for platform in platforms():
        assert f"utter_privacy_{platform}" in names
        assert (f"utter_report_platform_{platform}" in names) == (platform in PLATFORMS)


async def test_report_gives_the_first_group_and_keeps_the_rest(dispatcher):
    tracker = make_tracker(
        [user('/inform{"platform":"instagram"}', "inform")],
        {"affected": "child", "content_kind": "sexual", "platform": "instagram", "language": "en"},
    )
    events = await ActionReportDeepfakeSteps().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_report_now_sexual"]
    slots = {e["name"]: e["value"] for e in events}
    assert slots["report_pending"] == report_steps("child", "sexual", "instagram")[1:]
    assert slots["case_summary"] == "Deepfake report: affected=child; content=sexual; platform=instagram"
    assert slots["affected"] is None and slots["platform"] is None


async def test_next_steps_gives_the_next_group(dispatcher):
    pending = ["utter_report_platform_x", "utter_report_support"]
    tracker = make_tracker([user("/more", "more")], {"report_pending": pending})
    events = await ActionReportDeepfakeSteps().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_report_platform_x"]
    assert events == [
        {"event": "slot", "name": "report_pending", "value": ["utter_report_support"], "timestamp": None}
    ]


async def test_next_steps_after_the_last_group_says_there_is_nothing_more(dispatcher):
    tracker = make_tracker([user("/more", "more")], {"report_pending": None})
    assert await ActionReportDeepfakeSteps().run(dispatcher, tracker, {}) == []
    assert responses(dispatcher) == ["utter_more_none"]


async def test_stopping_clears_the_waiting_checklist(dispatcher):
    events = await ActionResetFlow().run(dispatcher, make_tracker([user("stop", "stop")]), {})
    assert {"event": "slot", "name": "report_pending", "value": None, "timestamp": None} in events


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
            sa.select(Feedback).where(Feedback.sender_key == identity.sender_key("fb-user"))
        ).scalar_one()
        assert (row.topic, row.helpful) == ("deepfake_spotting", True)


async def test_forget_my_data_erases_and_says_what(dispatcher):
    key = identity.sender_key("forget-me")
    with session_scope() as session:
        repository.create_inquiry(
            session,
            repository.NewInquiry(
                reference=identity.new_reference(),
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


def _kind_entities(*pairs: tuple[str, str]) -> list[dict]:
    return [{"entity": entity, "value": value} for entity, value in pairs]


@pytest.mark.parametrize(
    ("entities", "value", "expected"),
    [
        # an AI nude and a demand for money (sextortion): the threat steps, not "keep the messages"
        (_kind_entities(("content_kind", "sexual"), ("content_kind", "money")), "money", "threat"),
        (_kind_entities(("content_kind", "sexual"), ("crisis", "threat")), "sexual", "threat"),
        (_kind_entities(("crisis", "sexual"), ("crisis", "money")), "money", "threat"),
        # one kind alone stands
        (_kind_entities(("content_kind", "sexual"), ("crisis", "child")), "sexual", "sexual"),
        (_kind_entities(("content_kind", "money")), "money", "money"),
        (_kind_entities(("content_kind", "threat"), ("crisis", "money")), "threat", "threat"),
        # a button answer carries no other kind
        ([], "other", "other"),
    ],
)
async def test_sextortion_gets_the_threat_steps(entities, value, expected):
    from actions.flows import ValidateReportDeepfakeForm

    tracker = make_tracker([user("text", "report_deepfake", entities=entities)])
    slots = await ValidateReportDeepfakeForm().validate_content_kind(
        value, CollectingDispatcher(), tracker, {}
    )
    assert slots == {"content_kind": expected}
    first = report_steps("self", slots["content_kind"], "instagram")[0]
    if expected == "threat":
        assert first == "utter_report_now_threat"  # don't pay; don't save, screenshot or forward the image
