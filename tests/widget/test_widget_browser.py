"""The widget in real Chromium against the real assistant (trained model, Rasa's socketio channel).

What a parent or teacher does: open the demo school page, open the chat, ask, click a button,
reload, switch to Chinese, get a staff message pushed to the session, and do it all with the
keyboard only; the open widget passes axe-core (no serious or critical violation), fits 320 px
and 200 % zoom, and no request leaves 127.0.0.1. The screenshot for the closing note is saved to
var/screenshots/widget.png.
"""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from safeshare.identity import REFERENCE_IN_TEXT
from safeshare.settings import PROJECT_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.model]

expect = pytest.importorskip("playwright.sync_api").expect
# The machine may be busy (2 shared cores): give the assistant time before calling it a failure.
expect.set_options(timeout=15_000)

AXE = PROJECT_ROOT / "widget" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT = PROJECT_ROOT / "var" / "screenshots" / "widget.png"
DEEPFAKE_EN = "A deepfake is fake content made with AI"
DEEPFAKE_ZH = "深偽是用人工智能製作的虛假內容"

FOCUSED = """() => {
  const host = document.querySelector('#safeshare-widget');
  let el = document.activeElement;
  if (el === host) el = host.shadowRoot.activeElement;
  if (!el) return null;
  const style = getComputedStyle(el);
  return {cls: el.className || el.tagName, label: el.getAttribute('aria-label') || el.textContent,
          outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}"""
STORED = """() => {
  const key = Object.keys(localStorage).find((k) => k.startsWith('safeshare-widget:'));
  return key ? JSON.parse(localStorage.getItem(key)) : null;
}"""


def open_demo(page, web_url: str) -> None:
    page.goto(f"{web_url}/demo")
    page.wait_for_function("() => window.SafeShare && document.querySelector('#safeshare-widget')")


def ask(page, text: str) -> None:
    box = page.locator(".ss-input")
    box.fill(text)
    box.press("Enter")


def bot_says(page, words: str):
    return page.locator(".ss-bot").filter(has_text=words)


def csp_violations(page) -> list[str]:
    return page.evaluate("() => window.__cspViolations")


def tracker(stack, session_id: str) -> dict:
    response = httpx.get(
        f"{stack.rasa_url}/conversations/{session_id}/tracker",
        params={"token": stack.env.get("RASA_TOKEN", "test-rasa-token")},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def serious_axe_violations(page) -> list[dict]:
    if not AXE.exists():
        pytest.skip("axe-core is missing: run `npm ci --prefix widget`")
    # Evaluated through DevTools, so the page's CSP (no inline script) does not block it.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    violations = page.evaluate("""async () => {
      const result = await axe.run(document, {resultTypes: ['violations']});
      return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => JSON.stringify(n.target) + ' ' + n.failureSummary)}));
    }""")
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def test_conversation_buttons_reload_language_and_staff_push(stack, web_url, new_page, traffic):
    page = new_page()
    open_demo(page, web_url)
    bubble = page.locator(".ss-bubble")
    expect(page.get_by_role("button", name="Ask SafeShare", exact=True)).to_have_count(1)
    expect(bubble).to_have_attribute("aria-expanded", "false")
    bubble.click()

    dialog = page.get_by_role("dialog", name="SafeShare HK")
    expect(dialog).to_be_visible()
    expect(bubble).to_have_attribute("aria-expanded", "true")
    notice = page.locator(".ss-notice")
    for words in ("not legal advice", "not the PCPD", "saved in this browser", "Call 999"):
        expect(notice).to_contain_text(words)
    page.get_by_role("button", name="OK, start").click()
    expect(notice).to_be_hidden()

    ask(page, "what is a deepfake?")
    expect(page.locator(".ss-user").last).to_contain_text("what is a deepfake?")
    expect(bot_says(page, DEEPFAKE_EN)).to_be_visible()
    expect(bot_says(page, "face swap")).to_be_visible()
    expect(bot_says(page, "most at risk.\nhttps://www.pcpd.org.hk/")).to_have_count(1)  # line breaks kept
    pcpd = page.locator('.ss-bot a[href="https://www.pcpd.org.hk/"]').first
    expect(pcpd).to_have_attribute("rel", "noopener noreferrer")
    expect(pcpd).to_have_attribute("target", "_blank")
    expect(bot_says(page, "Was this helpful?")).to_be_visible()
    log = page.get_by_role("log")
    expect(log).to_have_attribute("aria-live", "polite")

    page.get_by_role("button", name="Helpful", exact=True).click()
    expect(page.locator(".ss-user").last).to_contain_text("👍")
    expect(bot_says(page, "Thank you for your feedback")).to_be_visible()
    expect(page.get_by_role("button", name="Helpful", exact=True)).to_have_count(0)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    stored = page.evaluate(STORED)
    session_id = stored["sessionId"]
    assert re.fullmatch(r"[0-9a-f]{32}", session_id)
    assert [m["who"] for m in stored["messages"]][:2] == ["user", "bot"]

    # A reload keeps the conversation: same session, same transcript on screen.
    page.reload()
    page.wait_for_function("() => window.SafeShare && document.querySelector('#safeshare-widget')")
    page.locator(".ss-bubble").click()
    expect(bot_says(page, DEEPFAKE_EN)).to_be_visible()
    expect(bot_says(page, "Thank you for your feedback")).to_be_visible()
    expect(page.locator(".ss-notice")).to_be_hidden()
    assert page.evaluate(STORED)["sessionId"] == session_id

    # 繁體中文: the widget's words change, the assistant is told, and its answers stay Chinese
    # even for a question typed in English.
    page.get_by_role("button", name="繁體中文").click()
    expect(page.get_by_role("button", name="繁體中文")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".ss-send")).to_have_text("傳送")
    expect(page.locator(".ss-input")).to_have_attribute("placeholder", "輸入你的問題…")
    expect(page.locator(".ss-root")).to_have_attribute("lang", "zh-Hant-HK")
    expect(bot_says(page, "好的，之後我會用繁體中文回覆")).to_be_visible()
    ask(page, "what is a deepfake?")
    expect(bot_says(page, DEEPFAKE_ZH)).to_be_visible()
    expect(bot_says(page, "這個回答有幫助嗎？")).to_be_visible()

    state = tracker(stack, session_id)
    assert state["slots"]["language_pref"] == "zh"
    user_texts = [e.get("text") for e in state["events"] if e["event"] == "user"]
    assert user_texts.count("what is a deepfake?") == 2, "one conversation across the reload"
    assert state["latest_input_channel"] == "socketio"

    # A message the server pushes to the session (as a staff answer is) appears, and while the
    # panel is closed the bubble counts it.
    page.keyboard.press("Escape")
    expect(page.locator(".ss-panel")).to_be_hidden()
    pushed = httpx.post(
        f"{stack.rasa_url}/conversations/{session_id}/trigger_intent",
        params={"output_channel": "socketio", "token": stack.env.get("RASA_TOKEN", "test-rasa-token")},
        json={"name": "help"},
        timeout=30,
    )
    assert pushed.status_code == 200, pushed.text
    expect(page.locator(".ss-badge")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^問 SafeShare\s*（\d+ 則新訊息）$"))).to_be_visible()
    page.locator(".ss-bubble").click()
    expect(bot_says(page, "我可以協助你了解")).to_be_visible()
    expect(page.locator(".ss-badge")).to_be_hidden()

    # A menu button sends its payload and shows its title; then "talk to staff".
    page.locator(".ss-replies").get_by_role("button", name="深偽是甚麼？").click()
    expect(page.locator(".ss-user").last).to_contain_text("深偽是甚麼？")
    expect(bot_says(page, DEEPFAKE_ZH)).to_have_count(2)
    page.get_by_role("button", name="聯絡職員").first.click()
    expect(bot_says(page, "我可以把你的問題轉交 SafeShare 職員")).to_be_visible()

    # Reloaded, the widget is still in Chinese.
    page.reload()
    page.wait_for_function("() => window.SafeShare && document.querySelector('#safeshare-widget')")
    page.locator(".ss-bubble").click()
    expect(page.locator(".ss-send")).to_have_text("傳送")
    expect(bot_says(page, "我可以把你的問題轉交 SafeShare 職員")).to_be_visible()

    # "Clear conversation" empties the transcript and the next message starts a new session.
    page.get_by_role("button", name="清除對話").click()
    expect(page.locator(".ss-msg")).to_have_count(0)
    expect(page.locator(".ss-note").last).to_contain_text("已從此瀏覽器清除對話")
    assert page.evaluate(STORED)["messages"] == []
    ask(page, "深偽是甚麼？")
    expect(bot_says(page, DEEPFAKE_ZH)).to_be_visible()
    assert page.evaluate(STORED)["sessionId"] not in (None, session_id)

    assert csp_violations(page) == []
    assert traffic.console_errors == []
    assert any(url.startswith("ws://127.0.0.1:") and "/socket.io/" in url for url in traffic.urls)


def test_staff_answer_reaches_the_open_widget_and_is_confirmed(stack, web_url, new_page, traffic):
    """Escalate in the widget, answer as staff would, and the open widget shows the answer; only
    then is the inquiry marked delivered (the widget confirms it; nobody else can)."""
    import dataclasses

    from safeshare.db import repository
    from safeshare.db.models import InquiryStatus, utcnow
    from safeshare.db.session import engine_for, session_scope
    from safeshare.delivery import PENDING, StaffAnswer, deliver_answer
    from safeshare.settings import get_settings

    page = new_page()
    open_demo(page, web_url)
    page.locator(".ss-bubble").click()
    page.get_by_role("button", name="OK, start").click()
    ask(page, "I want to talk to a real person")
    expect(bot_says(page, "I can pass your question to SafeShare staff")).to_be_visible()
    ask(page, "Can a tutoring centre keep my son's photos forever?")
    page.get_by_role("button", name="No, just give me a reference").click()
    created = bot_says(page, "Your reference is")
    expect(created).to_be_visible()
    reference = REFERENCE_IN_TEXT.search(created.inner_text()).group(0)

    settings = dataclasses.replace(get_settings(), rasa_url=stack.rasa_url)
    engine = engine_for(settings.database_url)
    answer = "Ask the centre how long it keeps photos; 你可以要求刪除。"
    with session_scope(engine) as session:
        row = repository.get_inquiry(session, reference)
        assert row.channel == "socketio" and row.reply_address == page.evaluate(STORED)["sessionId"]
        row.staff_answer, row.status, row.answered_at = answer, InquiryStatus.answered.value, utcnow()
        row.delivery_status = PENDING
        target = StaffAnswer(reference, row.channel, row.reply_address, row.language, answer)

    assert deliver_answer(target, settings) == PENDING  # said; not yet known to be seen
    expect(bot_says(page, "Reply from SafeShare staff about " + reference)).to_be_visible()
    expect(bot_says(page, answer)).to_be_visible()

    def status() -> str | None:
        with session_scope(engine) as session:
            return repository.get_inquiry(session, reference).delivery_status

    deadline = time.monotonic() + 15
    while status() != "delivered" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status() == "delivered"
    assert traffic.console_errors == []


def test_keyboard_only(stack, web_url, new_page, traffic):
    page = new_page()
    open_demo(page, web_url)
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused and "ss-bubble" in focused["cls"]:
            break
    else:
        pytest.fail("Tab never reached the chat bubble")
    assert focused["outline"] == "solid" and focused["width"] >= 2, "visible focus"

    page.keyboard.press("Enter")
    expect(page.locator(".ss-panel")).to_be_visible()
    assert page.evaluate(FOCUSED)["label"] == "OK, start", "focus moves into the panel"
    page.keyboard.press("Enter")
    expect(page.locator(".ss-notice")).to_be_hidden()
    assert "ss-input" in page.evaluate(FOCUSED)["cls"]

    page.keyboard.type("what is a deepfake?")
    page.keyboard.press("Enter")
    expect(bot_says(page, DEEPFAKE_EN)).to_be_visible()
    expect(page.get_by_role("button", name="Not helpful")).to_be_visible()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED)["label"] == "Not helpful"
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate(FOCUSED)
    assert focused["label"] == "Helpful" and focused["outline"] == "solid"
    page.keyboard.press("Enter")
    expect(bot_says(page, "Thank you for your feedback")).to_be_visible()

    # Shift+Enter is a new line, not a send; HTML typed by the user stays text.
    page.locator(".ss-input").focus()
    page.keyboard.type("<img src=x onerror=alert(1)> <b>hi</b>")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    assert page.locator(".ss-input").input_value() == "<img src=x onerror=alert(1)> <b>hi</b>\nsecond line"
    page.keyboard.press("Enter")
    expect(page.locator(".ss-user").last).to_contain_text(
        "<img src=x onerror=alert(1)> <b>hi</b>\nsecond line"
    )
    assert page.locator(".ss-log img, .ss-log b").count() == 0

    page.keyboard.press("Escape")
    expect(page.locator(".ss-panel")).to_be_hidden()
    assert "ss-bubble" in page.evaluate(FOCUSED)["cls"], "focus returns to the bubble"
    page.keyboard.press("Enter")
    expect(page.locator(".ss-panel")).to_be_visible()
    assert "ss-input" in page.evaluate(FOCUSED)["cls"]
    assert csp_violations(page) == []


def test_accessibility_small_screens_and_reduced_motion(stack, web_url, new_page, traffic):
    # Desktop, a finished exchange with feedback buttons on screen.
    page = new_page()
    open_demo(page, web_url)
    page.locator(".ss-bubble").click()
    assert serious_axe_violations(page) == []  # with the privacy notice open
    page.get_by_role("button", name="OK, start").click()
    ask(page, "what is a deepfake?")
    expect(page.get_by_role("button", name="Helpful", exact=True)).to_be_visible()
    assert serious_axe_violations(page) == []
    page.get_by_role("button", name="繁體中文").click()
    expect(bot_says(page, "好的")).to_be_visible()
    assert serious_axe_violations(page) == []

    # 320 px wide phone, reduced motion.
    phone = new_page(viewport={"width": 320, "height": 640}, reduced_motion="reduce")
    open_demo(phone, web_url)
    phone.locator(".ss-bubble").click()
    box = phone.locator(".ss-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320 and box["height"] <= 640
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 320
    assert serious_axe_violations(phone) == []
    phone.get_by_role("button", name="OK, start").click()
    ask(phone, "what is a deepfake?")
    expect(bot_says(phone, DEEPFAKE_EN)).to_be_visible()
    send = phone.locator(".ss-send").bounding_box()
    assert send["x"] + send["width"] <= 320 and send["y"] + send["height"] <= 640
    animation = "() => getComputedStyle(document.querySelector('#safeshare-widget').shadowRoot.querySelector('.ss-dot')).animationName"
    assert phone.evaluate(animation) == "none"
    assert page.evaluate(animation) == "ss-blink"

    # 200 % zoom of a 1280 x 800 screen = a 640 x 400 CSS-pixel viewport.
    zoomed = new_page(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    open_demo(zoomed, web_url)
    zoomed.locator(".ss-bubble").click()
    zoomed.get_by_role("button", name="OK, start").click()
    ask(zoomed, "what is a deepfake?")
    expect(bot_says(zoomed, DEEPFAKE_EN)).to_be_visible()
    for selector in (".ss-input", ".ss-send", ".ss-close"):
        part = zoomed.locator(selector).bounding_box()
        assert part["x"] >= 0 and part["x"] + part["width"] <= 640, selector
        assert part["y"] >= 0 and part["y"] + part["height"] <= 400, selector
    assert zoomed.evaluate("() => document.documentElement.scrollWidth") <= 640
    for p in (page, phone, zoomed):
        assert csp_violations(p) == []
    assert traffic.console_errors == []
    assert json.dumps(traffic.urls).count("fonts.") == 0


def school_plan(page, answers: tuple[str, str, str, str]) -> None:
    """Open the widget, pick the school plan from the topics menu, answer its four questions."""
    page.locator(".ss-bubble").click()
    page.get_by_role("button", name="OK, start").click()
    page.get_by_role("button", name="Show topics").click()
    expect(bot_says(page, "I can help with")).to_be_visible()
    page.get_by_role("button", name="School response plan").click()
    expect(bot_says(page, "Question 1 of 4")).to_be_visible()
    nexts = ("Question 2 of 4", "Question 3 of 4", "Question 4 of 4", "Your checklist is ready")
    for answer, question in zip(answers, nexts):
        page.locator(".ss-replies").get_by_role("button", name=answer, exact=True).click()
        expect(bot_says(page, question)).to_be_visible()


POLLING_HANDSHAKE = """async (rasa) => {
  const url = rasa + '/socket.io/?EIO=4&transport=polling';
  const open = await fetch(url);
  const handshake = await open.text();
  const sid = JSON.parse(handshake.slice(1)).sid;
  const sent = await fetch(url + '&sid=' + sid, {method: 'POST', body: '40'});
  const connected = await (await fetch(url + '&sid=' + sid)).text();
  return {handshake, posted: sent.status, connected};
}"""


def test_school_plan_link_and_cross_origin_long_polling(stack, web_url, new_page, traffic):
    """The school plan flow in the widget ends with a link to the Markdown checklist on the web
    app, which downloads. And if a school's proxy blocks WebSockets, Socket.IO's long-polling
    fallback works from the page's origin (Rasa's --cors "*" answers the cross-origin requests)."""
    page = new_page()
    open_demo(page, web_url)
    school_plan(page, ("Yes", "No", "Yes", "No"))
    link = page.locator(".ss-bot a", has_text="/plan/school.md")
    href = link.get_attribute("href")
    assert href == (
        f"{web_url}/plan/school.md?crisis_team=1&antibullying=0&parent_comms=1&staff_training=0&lang=en"
    )
    download = page.request.get(href)
    assert download.headers["content-disposition"] == 'attachment; filename="school-deepfake-plan.md"'
    assert "Check that your crisis-management team covers deepfakes" in download.text()

    # Engine.IO v4 long-polling, cross-origin from the demo page, under its CSP.
    result = page.evaluate(POLLING_HANDSHAKE, stack.rasa_url)
    assert result["handshake"].startswith('0{"sid":')
    assert result["posted"] == 200
    assert result["connected"].startswith('40{"sid":')
    assert csp_violations(page) == []
    assert traffic.console_errors == []


def test_conversation_moves_on_after_the_school_plan(stack, web_url, new_page):
    page = new_page()
    open_demo(page, web_url)
    school_plan(page, ("No", "No", "No", "No"))
    ask(page, "what is a deepfake?")
    expect(bot_says(page, DEEPFAKE_EN)).to_be_visible()
    page.wait_for_timeout(1500)
    expect(bot_says(page, "Question 4 of 4")).to_have_count(1)


def test_two_tabs_share_one_conversation_without_duplicates(stack, web_url, new_page):
    """Every tab of a session receives each bot message; the stored transcript keeps one copy."""
    first = new_page()
    open_demo(first, web_url)
    first.locator(".ss-bubble").click()
    first.get_by_role("button", name="OK, start").click()
    ask(first, "what is a deepfake?")
    expect(bot_says(first, "Was this helpful?")).to_be_visible()

    second = first.context.new_page()
    open_demo(second, web_url)
    second.wait_for_function(
        "() => document.querySelector('#safeshare-widget').shadowRoot && window.SafeShare"
    )
    second.wait_for_timeout(1000)  # its socket joins the session's room
    first.get_by_role("button", name="Not helpful").click()
    expect(bot_says(first, "Sorry it didn't help")).to_be_visible()
    second.locator(".ss-bubble").click()
    expect(bot_says(second, "Sorry it didn't help")).to_have_count(1)
    expect(second.locator(".ss-user").filter(has_text="👎")).to_have_count(1)
    second.wait_for_timeout(500)
    stored = first.evaluate(STORED)["messages"]
    assert [m.get("text", "").startswith("Sorry it didn't help") for m in stored].count(True) == 1
    assert [m.get("text") for m in stored].count("👎") == 1


def test_init_api_language_title_and_a_light_school_colour(stack, web_url, new_page):
    """SafeShare.init() reconfigures the widget; a light primary colour still gets AA contrast."""
    page = new_page()
    open_demo(page, web_url)
    page.evaluate(
        """(rasa) => SafeShare.init({serverUrl: rasa, language: 'zh', title: '聖例子小學 私隱助手',
                                    primaryColor: '#ffd54f'})""",
        stack.rasa_url,
    )
    bubble = page.get_by_role("button", name="問 SafeShare", exact=True)
    expect(bubble).to_be_visible()
    colours = page.evaluate("""() => {
      const b = document.querySelector('#safeshare-widget').shadowRoot.querySelector('.ss-bubble');
      const s = getComputedStyle(b);
      return [s.backgroundColor, s.color];
    }""")
    assert colours == ["rgb(255, 213, 79)", "rgb(0, 0, 0)"]
    bubble.click()
    expect(page.get_by_role("dialog", name="聖例子小學 私隱助手")).to_be_visible()
    expect(page.locator(".ss-notice")).to_contain_text("並非法律意見")
    expect(page.locator(".ss-notice")).to_contain_text("999")
    assert serious_axe_violations(page) == []
    page.get_by_role("button", name="明白，開始").click()
    page.get_by_role("button", name="查看主題").click()
    expect(bot_says(page, "我可以協助你了解")).to_be_visible()  # the menu in the page's language
    assert page.locator("#safeshare-widget").count() == 1
    assert csp_violations(page) == []
