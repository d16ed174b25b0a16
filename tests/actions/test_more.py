"""action_more_details: the details behind a short answer, or the next group of a report."""

from actions.more import ActionMoreDetails
from tests.actions.conftest import make_tracker, responses, user

DOMAIN = {
    "responses": {
        name: []
        for name in (
            "utter_school_photos",
            "utter_school_photos_more",
            "utter_deepfake_spotting",
            "utter_deepfake_spotting_more",
            "utter_ask_feedback",
            "utter_more_none",
        )
    }
}


def bot(name: str) -> dict:
    return {"event": "bot", "text": "...", "metadata": {"utter_action": name}}


def more(entities=None) -> dict:
    return user("/more", "more", entities=entities)


async def test_the_button_names_its_topic(dispatcher):
    tracker = make_tracker(
        [bot("utter_deepfake_spotting"), more([{"entity": "topic", "value": "school_photos"}])]
    )
    assert await ActionMoreDetails().run(dispatcher, tracker, DOMAIN) == []
    assert responses(dispatcher) == ["utter_school_photos_more"]


async def test_a_topic_without_details_says_that_is_all(dispatcher):
    tracker = make_tracker([more([{"entity": "topic", "value": "greet"}])])
    await ActionMoreDetails().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_more_none"]


async def test_typed_more_gives_the_latest_answer_details(dispatcher):
    events = [
        user("school photos?", "school_photos"),
        bot("utter_school_photos"),
        user("spotting?", "deepfake_spotting"),
        bot("utter_deepfake_spotting"),
        bot("utter_ask_feedback"),
        user("tell me more", "more"),
    ]
    await ActionMoreDetails().run(dispatcher, make_tracker(events), DOMAIN)
    assert responses(dispatcher) == ["utter_deepfake_spotting_more"]


async def test_details_already_given_are_not_repeated(dispatcher):
    events = [bot("utter_school_photos"), bot("utter_school_photos_more"), user("more", "more")]
    await ActionMoreDetails().run(dispatcher, make_tracker(events), DOMAIN)
    assert responses(dispatcher) == ["utter_more_none"]


async def test_a_new_session_forgets_the_old_answer(dispatcher):
    events = [bot("utter_school_photos"), {"event": "session_started"}, user("more", "more")]
    await ActionMoreDetails().run(dispatcher, make_tracker(events), DOMAIN)
    assert responses(dispatcher) == ["utter_more_none"]


async def test_typed_more_continues_a_waiting_report_first(dispatcher):
    tracker = make_tracker(
        [bot("utter_school_photos"), user("next", "more")],
        {"report_pending": ["utter_report_pcpd", "utter_report_support"]},
    )
    events = await ActionMoreDetails().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_report_pcpd"]
    assert events == [
        {"event": "slot", "name": "report_pending", "value": ["utter_report_support"], "timestamp": None}
    ]


async def test_without_a_domain_it_reads_the_responses_files(dispatcher):
    tracker = make_tracker([more([{"entity": "topic", "value": "deepfake_intimate_images_law"}])])
    await ActionMoreDetails().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_deepfake_intimate_images_law_more"]
