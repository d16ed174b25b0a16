"""The real assistant over REST: the trained model, the Rasa server and the action server."""

import os
import time
import uuid

import httpx
import pytest
import sqlalchemy as sa

from safeshare.db.models import Inquiry
from safeshare.db.session import session_scope
from safeshare.settings import get_settings
from tests.helpers import chat, texts

pytestmark = pytest.mark.model


def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}"


def test_three_questions_over_rest(stack):
    replies = chat(stack, sender(), "what is a deepfake?")
    assert "face, voice or actions" in texts(replies)
    assert replies[-1]["buttons"][0]["payload"] == "/feedback_helpful"

    replies = chat(
        stack, sender(), "How do I complain to the privacy commissioner? Can I complain for my child?"
    )
    assert "OPS001" in texts(replies) and "2 years" in texts(replies)

    replies = chat(stack, sender(), "點樣將個IG set做private？")
    assert "Private Account" in texts(replies) and "Instagram" in texts(replies)
    assert "帳戶" in texts(replies)


def test_more_gives_the_details_then_says_that_is_all(stack):
    me = sender()
    replies = chat(stack, me, "How can I tell if a video call is a deepfake?")
    first = next(r for r in replies if "turn their head" in str(r.get("text", "")))
    assert first["buttons"] == [{"title": "More", "payload": '/more{"topic":"deepfake_spotting"}'}]
    replies = chat(stack, me, '/more{"topic":"deepfake_spotting"}')
    assert "Scameter" in texts(replies) and "the details" in texts(replies)
    replies = chat(stack, me, "tell me more")
    assert "That's all I have" in texts(replies)


def test_unknown_gets_suggestions_then_staff(stack):
    me = sender()
    first = chat(stack, me, "qwzx vrrp blorf")
    payloads = [b["payload"] for r in first for b in r.get("buttons", [])]
    if "/human_handoff" not in payloads:
        pytest.skip("the model read this nonsense as out_of_scope rather than unsure")
    second = chat(stack, me, "zzkq plonf wibbr")
    assert "Personal Information Collection Statement" in texts(second)


def test_report_deepfake_flow_child_sexual_instagram(stack):
    me = sender()
    replies = chat(stack, me, "My daughter's face was put into a fake nude video. What do I do?")
    assert texts(replies).splitlines()[0].startswith("If anyone is in immediate danger, call 999")
    # "daughter" and "nude" were understood: the next question is where it is posted
    assert any(
        b["payload"] == '/inform{"platform":"instagram"}' for r in replies for b in r.get("buttons", [])
    )
    replies = chat(stack, me, "on instagram")
    # the first turn is the urgent group only: 999, never keep the image, the police
    first = texts(replies)
    assert len(first) <= 800, len(first)
    assert "999" in first and "Don't save, screenshot or forward" in first and "e-Report Centre" in first
    assert any(b["payload"] == "/more" for r in replies for b in r.get("buttons", []))
    turns = [first]
    for _ in range(4):  # "Next steps", one group at a time
        replies = chat(stack, me, "/more")
        turns.append(texts(replies))
        assert len(turns[-1]) <= 800, (len(turns[-1]), turns[-1])
    order = ["Instagram", "Take It Down", "Tell the school", "2343 2255"]
    where = [next((i for i, turn in enumerate(turns) if word in turn), -1) for word in order]
    assert where == [1, 2, 3, 4], dict(zip(order, where))
    assert "already on the young person's own device" in turns[2]
    assert "StopNCII" not in "".join(turns)
    assert "pass your case to SafeShare staff" in turns[4]
    replies = chat(stack, me, "/affirm")
    assert "Personal Information Collection Statement" in texts(replies)
    replies = chat(stack, me, "/deny")
    assert "SS-" in texts(replies)
    with session_scope() as session:
        rows = session.execute(sa.select(Inquiry).where(Inquiry.reason == "report_followup")).scalars().all()
        summaries = [r.question for r in rows]
    assert "Deepfake report: affected=child; content=sexual; platform=instagram" in summaries


def test_report_flow_digression_and_stop(stack):
    me = sender()
    replies = chat(stack, me, "I want to report a deepfake")
    assert any('/inform{"affected"' in b["payload"] for r in replies for b in r.get("buttons", []))
    replies = chat(stack, me, "wait, what exactly is a deepfake?")
    body = texts(replies)
    assert "face, voice or actions" in body  # answered
    assert any(
        '/inform{"affected"' in b["payload"] for r in replies for b in r.get("buttons", [])
    )  # and back
    replies = chat(stack, me, "stop")
    assert "stopped" in texts(replies).lower()
    replies = chat(stack, me, "what is the PDPO?")
    assert "Cap. 486" in texts(replies)


def test_privacy_settings_asks_then_and_for_tiktok(stack):
    me = sender()
    replies = chat(stack, me, "how do I change my privacy settings")
    assert any(b["payload"] == '/inform{"platform":"tiktok"}' for r in replies for b in r.get("buttons", []))
    replies = chat(stack, me, '/inform{"platform":"whatsapp"}')
    assert "WhatsApp" in texts(replies)
    replies = chat(stack, me, "and for TikTok?")
    assert "TikTok" in texts(replies) and "Private" in texts(replies)


def connections(pid: int, port: int) -> set[int]:
    """Local ports of the process's established TCP connections to `port` on loopback (/proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    found = set()
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if state == "01" and inode in inodes and int(remote.split(":")[1], 16) == port:
                found.add(int(local.split(":")[1], 16))
    return found


def test_rasa_keeps_its_connection_to_the_action_server(stack):
    """Each custom action call used to open (and close) a TCP connection of its own."""
    rasa, actions = stack.processes["rasa"].pid, stack.ports.actions
    me = sender()
    chat(stack, me, "how do I change my privacy settings")  # the form, checked by the action server
    first = connections(rasa, actions)
    replies = chat(stack, me, '/inform{"platform":"whatsapp"}')  # the form again, then the steps
    assert "WhatsApp" in texts(replies)
    assert len(first) == 1 and connections(rasa, actions) == first  # the same connection
    deadline = time.monotonic() + 10
    while connections(rasa, actions) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not connections(rasa, actions)  # given up when idle (after ~2 s)


def test_school_plan_flow_gives_a_document(stack):
    me = sender()
    replies = chat(stack, me, "What should a school's deepfake response plan include?")
    assert "crisis team" in texts(replies) and "Question 1 of 4" in texts(replies)
    # the More button while the questions are asked: the details, then the same question again
    replies = chat(stack, me, '/more{"topic":"school_response_plan"}')
    assert "20 Jan 2026" in texts(replies) and "Cap. 650" in texts(replies)
    assert "Question 1 of 4" in texts(replies)
    for answer in ("/affirm", "/deny", "/affirm", "/deny"):
        replies = chat(stack, me, answer)
    documents = [r["custom"]["document"] for r in replies if r.get("custom")]
    assert documents and "crisis_team=1" in documents[0]["url"] and "antibullying=0" in documents[0]["url"]


def test_language_choice_sticks(stack):
    me = sender()
    replies = chat(stack, me, '/set_language{"language_choice":"zh"}')
    assert "繁體中文" in texts(replies) or "中文" in texts(replies)
    replies = chat(stack, me, "what is a deepfake?")
    assert "深偽" in texts(replies)


def test_staff_reply_is_shown_only_to_the_conversation_that_asked(stack):
    me = sender()
    chat(stack, me, "I want to talk to a real person")
    chat(stack, me, "Can my child's school share his photo with a newspaper?")
    replies = chat(stack, me, "/deny")
    reference = next(w for w in texts(replies).replace(".", " ").split() if w.startswith("SS-"))
    answer = "Ask the school for its photo policy; it needs your consent for a new use."
    with session_scope() as session:
        row = session.execute(sa.select(Inquiry).where(Inquiry.reference == reference)).scalar_one()
        row.status, row.staff_answer = "answered", answer
    elsewhere = texts(chat(stack, sender(), f"status {reference}"))
    assert reference in elsewhere and "answered" in elsewhere
    assert answer not in elsewhere and "only shown in the chat where the question was asked" in elsewhere
    assert answer in texts(chat(stack, me, f"status {reference}"))


def test_status_check_round_trip(stack):
    me = sender()
    chat(stack, me, "I want to talk to a real person")
    chat(stack, me, "Can my child's school share his photo with a newspaper?")
    replies = chat(stack, me, "/deny")
    reference = next(w for w in texts(replies).replace(".", " ").split() if w.startswith("SS-"))
    replies = chat(stack, sender(), f"status {reference}")
    assert reference in texts(replies)


def test_a_clarification_after_a_report_stays_in_the_report(stack):
    me = sender()
    chat(
        stack,
        me,
        "someone on instagram made an AI nude of me and says he'll send it to all my followers unless I pay him",
    )
    replies = chat(stack, me, "it's me, I'm 22")
    said = texts(replies)
    # alone it falls back: "did you mean" topics that have nothing to do with blackmail
    assert "not sure I understood" not in said
    assert said.splitlines()[0].startswith("If anyone is in immediate danger, call 999")
    # the blackmail steps again (a nude used to demand money), for the person it is happening to
    assert "Don't pay" in said and "don't save, screenshot or forward" in said, said


def test_the_report_form_takes_an_answer_to_another_of_its_questions(stack):
    me = sender()
    replies = chat(stack, me, "I want to report a deepfake video of me")
    # who it is about was understood ("of me"): the form asks what kind of content it is
    assert "Which of these best describes it?" in texts(replies), texts(replies)
    # the answer corrects who it is about instead: taken, and the same question asked again,
    # never "I didn't understand"
    replies = chat(stack, me, "sorry it's not me, it's my son")
    said = texts(replies)
    assert "didn't quite get that" not in said and "Which of these best describes it?" in said, said
    chat(stack, me, '/inform{"content_kind":"sexual"}')
    chat(stack, me, '/inform{"platform":"instagram"}')
    chat(stack, me, "/more")
    removal = texts(chat(stack, me, "/more"))
    # the removal steps for a child (Take It Down), not those for an adult (StopNCII)
    assert "Take It Down" in removal and "StopNCII" not in removal, removal


def test_a_report_that_names_the_kind_of_content_in_its_own_words_gets_the_steps_at_once(stack):
    me = sender()
    replies = chat(
        stack, me, "班同學將我13歲個仔塊面改落一條咸片度，而家喺班WhatsApp group度傳緊，我應該點做？"
    )
    said = texts(replies)
    assert said.splitlines()[0].startswith("如有人身處即時危險"), said
    # 「咸片」 is sexual content (the crisis lexicon): no question about the kind of content, the
    # urgent steps at once, with "do not save or forward it"
    assert "屬於以下哪一類" not in said, said
    assert "不要儲存、截圖或轉發" in said, said
    # the case is about the parent's son, not the classmates who made the video
    tracker = httpx.get(
        f"{stack.rasa_url}/conversations/{me}/tracker",
        params={"token": get_settings().rasa_token},
        timeout=30,
    ).json()
    assert "affected=child" in tracker["slots"]["case_summary"], tracker["slots"]["case_summary"]
    # the parent adds who it is: read with the report, not "I didn't understand"
    replies = chat(stack, me, "係我個仔")
    assert "不太明白" not in texts(replies), texts(replies)


def test_a_nude_used_to_demand_money_gets_the_threat_steps(stack):
    said = texts(
        chat(
            stack,
            sender(),
            "someone on instagram made an AI nude of me and says he'll send it to all my followers unless I pay him",
        )
    )
    assert said.splitlines()[0].startswith("If anyone is in immediate danger, call 999"), said
    # sextortion: don't pay, and never keep the image; not the money steps' "keep the messages"
    assert "Don't pay" in said and "don't save, screenshot or forward" in said, said
    assert "Keep the messages" not in said, said
