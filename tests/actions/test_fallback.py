"""Out of scope is never a bare refusal: the likeliest topics and the menu are offered."""

from actions.fallback import ActionOutOfScope
from tests.actions.conftest import make_tracker, user


async def test_out_of_scope_offers_the_three_likeliest_topics_then_the_menu(dispatcher):
    ranking = [
        {"name": "out_of_scope", "confidence": 0.7},
        {"name": "cctv_guidance", "confidence": 0.1},
        {"name": "greet", "confidence": 0.08},
        {"name": "school_cctv", "confidence": 0.05},
        {"name": "pdpo_overview", "confidence": 0.03},
        {"name": "doxxing_law", "confidence": 0.02},
    ]
    tracker = make_tracker([user("the camera at my gym", "out_of_scope", 0.7, ranking)], {"language": "zh"})
    assert await ActionOutOfScope().run(dispatcher, tracker, {}) == []
    (message,) = dispatcher.messages
    assert message["response"] == "utter_out_of_scope"
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == ["/cctv_guidance", "/school_cctv", "/pdpo_overview", "/help"]
    assert message["buttons"][0]["title"] == "閉路電視指引"
