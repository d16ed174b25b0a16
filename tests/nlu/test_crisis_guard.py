"""The crisis guard's decision: when a classifier's choice gives way to the report flow or safety."""

import pytest

from safeshare.nlu.crisis import FITS_A_CRISIS, REPORT_INTENT, SAFETY_INTENT, SCAM_INTENT, decide


@pytest.mark.parametrize(
    ("text", "intent", "confidence", "expected"),
    [
        # turned away or unsure: a crisis goes to the report flow
        ("someone on instagram made an ai nude of me and wants money", "out_of_scope", 0.99, REPORT_INTENT),
        ("班同學將我個13歲仔個樣P落咸片度，喺班WhatsApp group度傳緊", "out_of_scope", 0.9, REPORT_INTENT),
        ("they keep threatening to post it", "privacy_settings", 0.8, REPORT_INTENT),
        # self-harm or danger: the safety answer, even over a fitting topic
        ("since the fake went round she says she wants to die", REPORT_INTENT, 0.9, SAFETY_INTENT),
        ("a stranger knows where my son lives", "privacy_settings", 0.7, SAFETY_INTENT),
        # a doxxing victim whose address was posted keeps the doxxing answer (999 first)
        ("they posted our home address and said they will come", "doxxing_law", 0.7, None),
        # an abstract law question keeps its answer
        ("is making a fake nude illegal in hong kong", "deepfake_intimate_images_law", 0.9, None),
        ("could someone make nude fakes from my kids photos", "deepfake_child_risks", 0.8, None),
        # the same words, told as something that happened, do not
        ("someone made nude fakes from my kids photos", "deepfake_child_risks", 0.8, REPORT_INTENT),
        # a few words that look like a bare answer are still a report
        ("ex threatening to post pics", "inform", 0.4, REPORT_INTENT),
        # a fitting answer the classifier was unsure of is kept above the fallback
        ("threatened to leak my photos", REPORT_INTENT, 0.29, REPORT_INTENT),
        ("threatened to leak my photos", REPORT_INTENT, 0.8, None),
        # yes/no inside a flow is an answer, not a new report
        ("yes its sexual and they are threatening me", "affirm", 0.7, None),
        ('/inform{"content_kind":"sexual"}', "inform", 1.0, None),
        # a scam under way: money asked for by a face one knows, or already sent
        (
            "my sister is on facetime crying, saying she needs $30k sent tonight",
            "deepfake_spotting",
            0.8,
            SCAM_INTENT,
        ),
        ("啱啱zoom會老細叫我過數 我過左", "deepfake_spotting", 0.7, SCAM_INTENT),
        # ... and when the classifier chose the scam answer but was unsure, it is not turned away
        (
            "my sister is on facetime crying, saying she needs $30k sent tonight",
            SCAM_INTENT,
            0.34,
            SCAM_INTENT,
        ),
        ("my sister is on facetime crying, saying she needs $30k sent tonight", SCAM_INTENT, 0.8, None),
        # a leak by ransomware, and an ID card demanded for a membership, are not threats
        ("個仔補習社話佢哋電腦中咗勒索軟件，學生資料可能俾人攞咗，點算好？", "data_breach", 0.7, None),
        ("健身室話要影印我張證件，唔俾就做唔到會員", "hkid_collection", 0.7, None),
        (
            "an online shop emailed about unauthorised access to records including my address",
            "data_breach",
            0.7,
            None,
        ),
        # told in one's own words, without the crisis words
        (
            "theres a man at my daughters school gate showing her photos of herself",
            "privacy_settings",
            0.7,
            SAFETY_INTENT,
        ),
        ("唔想再活落去", "stop", 0.5, SAFETY_INTENT),
        ("pay him to delete pics?", "remove_child_content", 0.7, REPORT_INTENT),
        ("pay him to delete pics?", "forget_my_data", 0.7, REPORT_INTENT),
        # a plain erasure request keeps its answer
        ("please delete everything I told you", "forget_my_data", 0.9, None),
        # the classifier's own guess of self-harm or danger is never left to the fallback
        ("someone following my daughter", SAFETY_INTENT, 0.2, SAFETY_INTENT),
        ("全世界都睇左 我都唔知聽日仲有冇必要起身", SAFETY_INTENT, 0.3, SAFETY_INTENT),
        ("someone following my daughter", SAFETY_INTENT, 0.9, None),
        # no crisis at all
        ("what is the pdpo exactly", "out_of_scope", 0.6, None),
        ("補習社點解知我個女讀邊間幼稚園 我冇比過電話佢地", "direct_marketing", 0.7, None),
    ],
)
def test_decide(text, intent, confidence, expected):
    assert decide(text, intent, confidence, unsure_below=0.6) == expected


@pytest.mark.parametrize("intent", sorted(FITS_A_CRISIS | {SAFETY_INTENT}))
def test_every_answer_a_crisis_may_get_says_999_first(intent):
    from safeshare.responses import variation

    for language in ("en", "zh"):
        assert "999" in variation(f"utter_{intent}", language)["text"].splitlines()[0], (intent, language)


def _parsed(text: str, intent: str, confidence: float):
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set("intent_ranking", [{"name": intent, "confidence": confidence}])
    return message


def test_an_unsure_safety_guess_is_lifted_only_with_a_sign_of_a_crisis():
    from safeshare.nlu.crisis import CrisisGuard

    guard = CrisisGuard(CrisisGuard.get_default_config())
    message = guard.process([_parsed("someone following my daughter", SAFETY_INTENT, 0.25)])[0]
    assert message.get("intent") == {"name": SAFETY_INTENT, "confidence": 0.95}
    # no sign at all (a marketing question the classifier was unsure of): left to the fallback
    text = "間電訊公司成日send優惠訊息俾我，可唔可以反悔唔收？"
    message = guard.process([_parsed(text, SAFETY_INTENT, 0.34)])[0]
    assert message.get("intent") == {"name": SAFETY_INTENT, "confidence": 0.34}
    assert not message.get("entities")


def test_the_guard_marks_the_signals_and_routes_a_crisis():
    from safeshare.nlu.crisis import CrisisGuard

    guard = CrisisGuard(CrisisGuard.get_default_config())
    message = guard.process([_parsed("someone following my daughter", "privacy_settings", 0.4)])[0]
    assert message.get("intent")["name"] == SAFETY_INTENT
    assert {e["value"] for e in message.get("entities")} == {"child", "danger"}
