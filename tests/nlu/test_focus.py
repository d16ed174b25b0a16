"""Reading long messages by sentence and clarifications with the message they clarify
(safeshare.nlu.focus), with a stand-in parser so each rule is tested on its own."""

from safeshare.nlu.focus import candidate_parts, refine


def parsed(name: str, confidence: float, entities: list | None = None) -> dict:
    return {
        "text": "",
        "intent": {"name": name, "confidence": confidence},
        "intent_ranking": [{"name": name, "confidence": confidence}],
        "entities": entities or [],
    }


def parser(answers: dict[str, dict]):
    calls: list[str] = []

    def parse(text: str) -> dict:
        calls.append(text)
        return answers.get(text, parsed("nlu_fallback", 0.3))

    return parse, calls


STORY = (
    "My daughter is in F2 and loves posting dance videos. Last week a boy in her class sent her a "
    "message with one of them edited. She has stopped eating properly. What can we do about it?"
)


def test_an_unsure_long_story_takes_its_confident_question():
    parse, calls = parser({"What can we do about it?": parsed("report_deepfake", 0.8)})
    result = refine(STORY, parsed("out_of_scope", 0.7), parse)
    assert result["intent"]["name"] == "report_deepfake"
    assert result["focus"] == "sentence"
    assert 1 <= len(calls) <= 3


def test_a_sure_long_story_is_parsed_once():
    parse, calls = parser({})
    result = refine(STORY, parsed("report_deepfake", 0.9), parse)
    assert result["intent"]["name"] == "report_deepfake"
    assert calls == []


def test_a_part_must_be_confident_and_in_scope():
    parse, _ = parser(
        {
            "What can we do about it?": parsed("out_of_scope", 0.99),
            "She has stopped eating properly. What can we do about it?": parsed("school_photos", 0.4),
        }
    )
    result = refine(STORY, parsed("nlu_fallback", 0.3), parse)
    assert result["intent"]["name"] == "nlu_fallback"


def test_a_short_message_is_never_split():
    parse, calls = parser({})
    refine("deepfake? what is it. explain.", parsed("nlu_fallback", 0.3), parse)
    assert calls == []


def test_a_clarification_after_a_miss_is_read_with_it():
    missed = "someone on insta made a pic of me and wants me to pay"
    entities = [{"entity": "affected", "value": "self", "start": 0, "end": 5}]
    parse, calls = parser({f"{missed}\nit's me, I'm 22": parsed("report_deepfake", 0.85, entities)})
    result = refine("it's me, I'm 22", parsed("inform", 0.4), parse, previous_missed=missed)
    assert result["intent"]["name"] == "report_deepfake"
    assert result["focus"] == "context"
    assert {"entity": "affected", "value": "self"}.items() <= result["entities"][0].items()
    assert calls == [f"{missed}\nit's me, I'm 22"]


REPORT = "someone on instagram made an AI nude of me and will send it to my followers unless I pay"
SELF = [{"entity": "affected", "value": "self", "start": 5, "end": 7}]


def test_a_clarification_of_a_report_is_read_with_it():
    parse, calls = parser({f"{REPORT}\nit's me, I'm 22": parsed("report_deepfake", 0.97, SELF)})
    result = refine("it's me, I'm 22", parsed("nlu_fallback", 0.35, SELF), parse, previous_report=REPORT)
    assert result["intent"]["name"] == "report_deepfake"
    assert result["focus"] == "context"
    assert calls == [f"{REPORT}\nit's me, I'm 22"]


def test_a_report_taken_unsure_is_still_the_context():
    parse, _calls = parser({f"{REPORT}\nit's me, I'm 22": parsed("report_deepfake", 0.36, SELF)})
    result = refine("it's me, I'm 22", parsed("nlu_fallback", 0.35, SELF), parse, previous_report=REPORT)
    assert result["intent"]["name"] == "report_deepfake"


def test_a_clarification_of_a_report_read_as_small_talk_is_read_with_it_too():
    parse, calls = parser({f"{REPORT}\nit's me, I'm 22": parsed("report_deepfake", 0.97, SELF)})
    result = refine("it's me, I'm 22", parsed("goodbye", 0.63, SELF), parse, previous_report=REPORT)
    assert result["intent"]["name"] == "report_deepfake"


def test_a_sure_short_answer_that_names_who_it_is_about_is_read_with_the_report():
    # 「係我個仔」 alone is a confident `inform`, which outside a form has nothing to answer
    son = [{"entity": "affected", "value": "child", "start": 1, "end": 4}]
    parse, calls = parser({f"{REPORT}\n係我個仔": parsed("report_deepfake", 0.91, son)})
    result = refine("係我個仔", parsed("inform", 0.9, son), parse, previous_report=REPORT)
    assert result["intent"]["name"] == "report_deepfake"
    assert calls == [f"{REPORT}\n係我個仔"]
    # the same answer with no report before it stays an answer
    parse, calls = parser({})
    assert refine("係我個仔", parsed("inform", 0.9, son), parse)["intent"]["name"] == "inform"
    assert calls == []


def test_after_a_report_only_a_reply_that_names_the_report_is_read_with_it():
    parse, calls = parser({})
    # understood alone, or naming nothing the report asks: left alone
    refine("thanks", parsed("thank", 0.9), parse, previous_report=REPORT)
    refine("bye", parsed("goodbye", 0.45), parse, previous_report=REPORT)
    refine(
        "how do i make my ig private", parsed("privacy_settings", 0.9, SELF), parse, previous_report=REPORT
    )
    # missed, but about nothing the report asks: the fallback's "did you mean" stays
    assert refine("asdfgh", parsed("nlu_fallback", 0.3), parse, previous_report=REPORT)["intent"]["name"] == (
        "nlu_fallback"
    )
    assert calls == []
    # read together, but the reading is no longer the report: not taken
    parse, calls = parser({f"{REPORT}\nmy son": parsed("sharenting_tips", 0.9)})
    son = [{"entity": "affected", "value": "child", "start": 0, "end": 6}]
    assert refine("my son", parsed("nlu_fallback", 0.3, son), parse, previous_report=REPORT)["intent"][
        "name"
    ] == ("nlu_fallback")


def test_no_context_without_a_previous_miss_or_for_a_long_reply():
    parse, calls = parser({})
    refine("instagram", parsed("inform", 0.9), parse, previous_missed=None)
    refine("x" * 200, parsed("nlu_fallback", 0.3), parse, previous_missed="something")
    assert all("something\n" not in call for call in calls)


def test_a_sure_answer_to_the_dialogue_is_left_alone():
    parse, calls = parser({})
    result = refine("yes", parsed("affirm", 0.95), parse, previous_missed="blah blah")
    assert result["intent"]["name"] == "affirm"
    assert calls == []


def test_button_payloads_are_left_alone():
    parse, calls = parser({})
    refine('/inform{"platform":"x"}', parsed("inform", 1.0), parse, previous_missed="blah")
    assert calls == []


def test_candidate_parts_put_the_end_and_questions_first():
    parts = candidate_parts("我個女讀中二。佢班有人改咗佢張相。我應該點做？")
    assert parts[0] == "我應該點做？"
    assert len(parts) <= 3
