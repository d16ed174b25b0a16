/*
 * SafeShare HK website chat widget.
 *
 * Why it is built this way:
 * - A school adds ONE <script> tag; everything else (socket.io-client, CSS, words) is inside this
 *   file, so the page makes no third-party request and it works on intranets.
 * - The widget lives in a shadow root and its CSS is adopted through CSSOM, which a strict
 *   Content-Security-Policy (no 'unsafe-inline') allows; no inline <script>, style attribute or eval.
 * - The conversation is Rasa's socketio channel with session_persistence: the session id and the
 *   transcript are kept in localStorage, so a reload or a reconnect continues the same conversation
 *   and a staff answer pushed later to the session is simply rendered.
 * - Words shown by the widget itself (not the assistant's answers) live in one I18N object.
 *
 * Configuration: data- attributes on the script tag (data-server-url, data-language, data-title,
 * data-primary-color, data-socket-path) or SafeShare.init({serverUrl, language, title,
 * primaryColor, socketPath}).
 */
(function () {
  "use strict";

  if (window.SafeShare && window.SafeShare.version) return; // loaded twice: keep the first

  var ioClient = typeof io === "function" ? io : window.io;
  var SCRIPT = document.currentScript;
  var VERSION = "__SAFESHARE_VERSION__";
  var CSS = "/*__SAFESHARE_CSS__*/";
  var STORE_PREFIX = "safeshare-widget:v1:";
  var KEEP_DAYS = 30;
  var MAX_MESSAGES = 200;
  var DEFAULT_COLOUR = "#0b5cad";
  var LANG_TAGS = { en: "en", zh: "zh-Hant-HK" };
  var TAB = Math.random().toString(36).slice(2, 10); // this page's id, for tabs sharing a session

  var I18N = {
    en: {
      langName: "English",
      title: "SafeShare HK",
      subtitle: "Online privacy help for Hong Kong parents and schools",
      bubble: "Ask SafeShare",
      unread: function (n) {
        return n === 1 ? " (1 new message)" : " (" + n + " new messages)";
      },
      close: "Close the chat",
      language: "Language / 語言",
      staff: "Talk to staff",
      clear: "Clear chat",
      cleared: "Conversation cleared from this browser. Your next message starts a new conversation.",
      privacy: "Privacy notice",
      noticeTitle: "Before you start",
      notice: [
        "SafeShare HK is an automated assistant. It gives general information, not legal advice, and it is not the PCPD (the Office of the Privacy Commissioner for Personal Data).",
        "What is kept: your messages go to SafeShare HK's server so that it can answer; personal details it recognises are removed before anything is stored. This chat is also saved in this browser for up to 30 days, or until you press \u201cClear chat\u201d.",
        "Please don't type names, HKID numbers, phone numbers or addresses.",
      ],
      danger: "In danger? Call 999.",
      noticeOk: "OK, start",
      welcome: "Ask a question in English or Chinese, for example \u201cWhat is a deepfake?\u201d",
      topics: "Show topics",
      log: "Conversation",
      you: "You said: ",
      bot: "SafeShare said: ",
      replies: "Suggested replies",
      typing: "SafeShare is typing\u2026",
      input: "Your message",
      placeholder: "Type your question\u2026",
      send: "Send",
      connecting: "Connecting\u2026",
      offline: "Offline. Your message will be sent when the connection is back.",
      download: "Download",
      newTab: " (opens in a new tab)",
      helpful: "Helpful",
      notHelpful: "Not helpful",
      foot: "General information, not legal advice. In danger? Call 999.",
    },
    zh: {
      langName: "繁體中文",
      title: "SafeShare HK",
      subtitle: "為香港家長及學校提供網上私隱協助",
      bubble: "問 SafeShare",
      unread: function (n) {
        return "（" + n + " 則新訊息）";
      },
      close: "關閉對話視窗",
      language: "Language / 語言",
      staff: "聯絡職員",
      clear: "清除對話",
      cleared: "已從此瀏覽器清除對話。你的下一個訊息會開始新的對話。",
      privacy: "私隱聲明",
      noticeTitle: "開始之前",
      notice: [
        "SafeShare HK 是自動回覆助理，提供的是一般資訊，並非法律意見；它也不是個人資料私隱專員公署（私隱專員公署）。",
        "保存甚麼：你的訊息會傳送到 SafeShare HK 的伺服器以作回覆，儲存前會刪除系統辨認到的個人資料。對話亦會保存在此瀏覽器最多30日，或直至你按「清除對話」。",
        "請不要輸入姓名、身份證號碼、電話號碼或地址。",
      ],
      danger: "如身處危險，請即致電999。",
      noticeOk: "明白，開始",
      welcome: "可用中文或英文提問，例如「深偽是甚麼？」",
      topics: "查看主題",
      log: "對話內容",
      you: "你說：",
      bot: "SafeShare 說：",
      replies: "建議回覆",
      typing: "SafeShare 正在輸入…",
      input: "你的訊息",
      placeholder: "輸入你的問題…",
      send: "傳送",
      connecting: "連線中…",
      offline: "離線中。恢復連線後會傳送你的訊息。",
      download: "下載",
      newTab: "（在新分頁開啟）",
      helpful: "有幫助",
      notHelpful: "沒有幫助",
      foot: "一般資訊，並非法律意見。如身處危險，請致電999。",
    },
  };

  var FEEDBACK_LABELS = { "\uD83D\uDC4D": "helpful", "\uD83D\uDC4E": "notHelpful" };
  // Chinese characters, as safeshare/text.py defines them (Extension B and up need the u flag).
  var CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{2ffff}]/u;
  var URL_RE = /\bhttps?:\/\/[^\s<>"'\u3000-\u303f\uff08\uff09\uff0c]+/g;
  var TRAILING = /[.,;:!?)\]\u3002\uff0c\u3001\uff09\u300d]+$/;
  // An inquiry reference, exactly as safeshare/identity.py writes it (a test compares the two).
  var REFERENCE = /^SS-[2-9A-HJ-NP-Z]{5}$/;

  // ---------------------------------------------------------------- small helpers

  function normaliseLang(value) {
    value = String(value || "").toLowerCase();
    if (value.indexOf("zh") === 0) return "zh";
    if (value.indexOf("en") === 0) return "en";
    return null;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function svg(path) {
    var ns = "http://www.w3.org/2000/svg";
    var icon = document.createElementNS(ns, "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    icon.setAttribute("focusable", "false");
    var shape = document.createElementNS(ns, "path");
    shape.setAttribute("d", path);
    icon.appendChild(shape);
    return icon;
  }

  function hexToRgb(hex) {
    var m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(hex || "").trim());
    if (!m) return null;
    var h = m[1].length === 3 ? m[1].replace(/(.)/g, "$1$1") : m[1];
    return [0, 2, 4].map(function (i) {
      return parseInt(h.substr(i, 2), 16);
    });
  }

  function rgbToHex(rgb) {
    return "#" + rgb.map(function (c) {
      return ("0" + Math.round(c).toString(16)).slice(-2);
    }).join("");
  }

  function luminance(rgb) {
    var c = rgb.map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  function contrast(a, b) {
    var la = luminance(a);
    var lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  /** Darken a colour until it reaches `ratio` against `background` (WCAG AA needs 4.5). */
  function readableOn(rgb, background, ratio) {
    var out = rgb.slice();
    for (var i = 0; i < 40 && contrast(out, background) < ratio; i++) {
      out = out.map(function (c) {
        return c * 0.9;
      });
    }
    return out;
  }

  /** Colours derived from the school's primary colour, each meeting WCAG 2.1 AA. */
  function palette(colour) {
    var primary = hexToRgb(colour) || hexToRgb(DEFAULT_COLOUR);
    var white = [255, 255, 255];
    var onPrimary = contrast(primary, white) >= contrast(primary, [0, 0, 0]) ? "#ffffff" : "#000000";
    var accent = readableOn(primary, white, 4.6);
    var link = readableOn(accent, [238, 241, 244], 4.6);
    return { primary: rgbToHex(primary), onPrimary: onPrimary, accent: rgbToHex(accent), link: rgbToHex(link) };
  }

  /** Text with line breaks kept (CSS pre-wrap) and http(s) URLs made into safe links. No HTML. */
  function richText(parent, text, strings) {
    text = String(text == null ? "" : text);
    var last = 0;
    text.replace(URL_RE, function (match, offset) {
      var url = match.replace(TRAILING, "");
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      parent.appendChild(link(url, url, strings));
      last = offset + url.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function link(url, label, strings, filename) {
    var a = el("a", null, label);
    a.href = url;
    if (filename) {
      a.setAttribute("download", filename);
    } else {
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.appendChild(el("span", "ss-sr", strings.newTab));
    }
    return a;
  }

  function safeUrl(value) {
    try {
      var url = new URL(String(value), window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  // ---------------------------------------------------------------- storage

  var memoryStore = {};
  function storeGet(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (e) {
      return Object.prototype.hasOwnProperty.call(memoryStore, key) ? memoryStore[key] : null;
    }
  }
  function storeSet(key, value) {
    try {
      if (value == null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, value);
    } catch (e) {
      if (value == null) delete memoryStore[key];
      else memoryStore[key] = value;
    }
  }

  // ---------------------------------------------------------------- bot messages

  /** One Rasa socketio bot_uttered payload -> the message the widget keeps and renders. */
  function fromBot(data) {
    if (!data || typeof data !== "object") return null;
    var msg = { who: "bot" };
    if (typeof data.text === "string" && data.text.trim()) msg.text = data.text;
    var buttons = data.quick_replies || data.buttons || [];
    if (Array.isArray(buttons) && buttons.length) {
      msg.buttons = buttons
        .filter(function (b) {
          return b && (b.title || b.payload);
        })
        .map(function (b) {
          var out = { title: String(b.title || b.payload) };
          var url = b.type === "web_url" || b.url ? safeUrl(b.url || b.payload) : null;
          if (url) out.url = url;
          else out.payload = String(b.payload || b.title);
          return out;
        });
    }
    var attachment = data.attachment;
    if (attachment && attachment.payload) {
      var src = safeUrl(attachment.payload.src || attachment.payload.url);
      if (src) msg.link = { url: src, label: attachment.payload.title || src };
    }
    var doc = data.document || (data.custom && data.custom.document);
    if (doc && safeUrl(doc.url)) {
      msg.link = { url: safeUrl(doc.url), label: doc.filename || doc.url, filename: doc.filename || "download" };
    }
    if (!msg.text && !msg.buttons && !msg.link) return null;
    return msg;
  }

  /** 16 random hex digits (the routing key of one Socket.IO connection). */
  function routeKey() {
    var bytes = new Uint8Array(8);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    var out = "";
    for (var j = 0; j < bytes.length; j++) out += (bytes[j] + 256).toString(16).slice(1);
    return out;
  }

  function signature(msg) {
    return JSON.stringify([msg.who, msg.text, msg.buttons, msg.link]);
  }

  // ---------------------------------------------------------------- the widget

  function Widget(config) {
    this.config = config;
    this.key = STORE_PREFIX + config.serverUrl;
    this.state = this.load();
    if (this.state.lang == null) this.state.lang = config.language;
    this.queue = [];
    this.socket = null;
    this.confirmed = false;
    this.unread = 0;
    this.claimed = {};
    this.typingTimer = null;
    this.build();
    this.renderStrings();
    this.renderLog();
    var self = this;
    // Another tab of this page changed the conversation: show it, and follow it to a new session.
    this.onStorage = function (event) {
      if (event.key !== self.key) return;
      var previous = self.state.sessionId;
      self.state = self.load();
      self.renderStrings();
      self.renderLog();
      if (self.socket && self.state.sessionId !== previous) {
        // Join the other tab's session; never ask for a new one here (two tabs would ping-pong).
        self.socket.disconnect();
        if (self.state.sessionId) self.socket.connect();
      }
    };
    window.addEventListener("storage", this.onStorage);
    // An ongoing conversation reconnects at once, so a staff answer pushed now is received.
    if (this.state.sessionId) this.connect();
  }

  Widget.prototype.t = function (name) {
    return I18N[this.state.lang][name];
  };

  Widget.prototype.load = function () {
    var empty = { sessionId: null, lang: null, noticeSeen: false, messages: [], updated: Date.now() };
    try {
      var saved = JSON.parse(storeGet(this.key) || "null");
      if (!saved || typeof saved !== "object") return empty;
      if (Date.now() - (saved.updated || 0) > KEEP_DAYS * 86400000) {
        storeSet(this.key, null);
        return empty;
      }
      return {
        sessionId: typeof saved.sessionId === "string" ? saved.sessionId : null,
        lang: normaliseLang(saved.lang),
        noticeSeen: !!saved.noticeSeen,
        messages: Array.isArray(saved.messages) ? saved.messages : [],
        updated: saved.updated,
      };
    } catch (e) {
      return empty;
    }
  };

  Widget.prototype.save = function () {
    this.state.updated = Date.now();
    this.state.messages = this.state.messages.slice(-MAX_MESSAGES);
    storeSet(this.key, JSON.stringify(this.state));
  };

  Widget.prototype.build = function () {
    var self = this;
    var host = el("div");
    host.id = "safeshare-widget";
    var shadow = host.attachShadow({ mode: "open" });
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } catch (e) {
      shadow.appendChild(el("style", null, CSS)); // older browsers; blocked only by a strict CSP
    }
    var colours = palette(this.config.primaryColor);
    var root = el("div", "ss-root");
    root.style.setProperty("--ss-primary", colours.primary);
    root.style.setProperty("--ss-on-primary", colours.onPrimary);
    root.style.setProperty("--ss-accent", colours.accent);
    root.style.setProperty("--ss-link", colours.link);

    // Bubble
    var bubble = el("button", "ss-bubble");
    bubble.type = "button";
    bubble.setAttribute("aria-haspopup", "dialog");
    bubble.setAttribute("aria-expanded", "false");
    bubble.setAttribute("aria-controls", "ss-panel");
    bubble.appendChild(svg("M12 3C6.5 3 2 6.6 2 11c0 2.3 1.2 4.4 3.2 5.8L4.5 21l4.3-2.4c1 .3 2.1.4 3.2.4 5.5 0 10-3.6 10-8s-4.5-8-10-8z"));
    // The visible words are the accessible name (WCAG 2.5.3); on narrow screens they are only
    // visually hidden. The unread count is a visible badge plus words for screen readers.
    var bubbleText = el("span", "ss-bubble-text");
    var unreadText = el("span", "ss-sr");
    var badge = el("span", "ss-badge");
    badge.hidden = true;
    badge.setAttribute("aria-hidden", "true");
    bubble.appendChild(bubbleText);
    bubble.appendChild(unreadText);
    bubble.appendChild(badge);
    bubble.addEventListener("click", function () {
      if (self.isOpen()) self.close();
      else self.open();
    });

    // Panel
    var panel = el("div", "ss-panel");
    panel.id = "ss-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-modal", "false");
    panel.setAttribute("aria-labelledby", "ss-title");
    panel.setAttribute("aria-describedby", "ss-sub");
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !event.isComposing) {
        event.preventDefault();
        self.close();
      }
    });

    var head = el("div", "ss-head");
    var heading = el("div", "ss-heading");
    var title = el("h2", "ss-title");
    title.id = "ss-title";
    var sub = el("p", "ss-sub");
    sub.id = "ss-sub";
    heading.appendChild(title);
    heading.appendChild(sub);
    var closeButton = el("button", "ss-close");
    closeButton.type = "button";
    closeButton.appendChild(svg("M18.3 5.7a1 1 0 0 0-1.4 0L12 10.6 7.1 5.7a1 1 0 0 0-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 1 0 1.4 1.4l4.9-4.9 4.9 4.9a1 1 0 0 0 1.4-1.4L13.4 12l4.9-4.9a1 1 0 0 0 0-1.4z"));
    closeButton.addEventListener("click", function () {
      self.close();
    });
    head.appendChild(heading);
    head.appendChild(closeButton);

    var tools = el("div", "ss-tools");
    var langGroup = el("div", "ss-lang");
    langGroup.setAttribute("role", "group");
    var langButtons = {};
    ["en", "zh"].forEach(function (code) {
      var b = el("button", null, I18N[code].langName);
      b.type = "button";
      b.lang = LANG_TAGS[code];
      b.addEventListener("click", function () {
        self.setLanguage(code);
      });
      langButtons[code] = b;
      langGroup.appendChild(b);
    });
    var staffButton = el("button", "ss-tool");
    staffButton.type = "button";
    staffButton.addEventListener("click", function () {
      self.send("/human_handoff", self.t("staff"));
    });
    var clearButton = el("button", "ss-tool");
    clearButton.type = "button";
    clearButton.addEventListener("click", function () {
      self.clear();
    });
    var privacyButton = el("button", "ss-linkish");
    privacyButton.type = "button";
    privacyButton.setAttribute("aria-controls", "ss-notice");
    privacyButton.addEventListener("click", function () {
      self.showNotice(true);
    });
    tools.appendChild(langGroup);
    tools.appendChild(staffButton);
    tools.appendChild(clearButton);

    var notice = el("section", "ss-notice");
    notice.id = "ss-notice";
    notice.setAttribute("aria-labelledby", "ss-notice-title");
    var noticeTitle = el("h3");
    noticeTitle.id = "ss-notice-title";
    var noticeBody = el("div");
    var okButton = el("button", "ss-ok");
    okButton.type = "button";
    okButton.addEventListener("click", function () {
      self.state.noticeSeen = true;
      self.save();
      self.showNotice(false);
      self.input.focus();
    });
    notice.appendChild(noticeTitle);
    notice.appendChild(noticeBody);
    notice.appendChild(okButton);

    var log = el("div", "ss-log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-relevant", "additions");
    log.tabIndex = 0; // scrollable region: reachable and scrollable with the keyboard

    var typing = el("div", "ss-typing");
    typing.hidden = true;
    for (var i = 0; i < 3; i++) {
      var dot = el("span", "ss-dot");
      dot.setAttribute("aria-hidden", "true");
      typing.appendChild(dot);
    }
    var typingText = el("span", "ss-sr");
    typing.appendChild(typingText);

    var status = el("div", "ss-status");
    status.setAttribute("role", "status");

    var form = el("form", "ss-form");
    form.noValidate = true;
    var label = el("label", "ss-sr");
    label.htmlFor = "ss-input";
    var input = el("textarea", "ss-input");
    input.id = "ss-input";
    input.rows = 1;
    input.maxLength = 1000;
    input.setAttribute("autocomplete", "off");
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        self.submit();
      }
    });
    input.addEventListener("input", function () {
      input.style.height = "auto";
      input.style.height = Math.min(input.scrollHeight + 2, 160) + "px";
    });
    var sendButton = el("button", "ss-send");
    sendButton.type = "submit";
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submit();
    });
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(sendButton);
    var foot = el("p", "ss-foot");
    var footText = el("span");
    foot.appendChild(footText);
    foot.appendChild(document.createTextNode(" "));
    foot.appendChild(privacyButton);

    panel.appendChild(head);
    panel.appendChild(tools);
    panel.appendChild(notice);
    panel.appendChild(log);
    panel.appendChild(typing);
    panel.appendChild(status);
    panel.appendChild(form);
    panel.appendChild(foot);
    root.appendChild(panel);
    root.appendChild(bubble);
    shadow.appendChild(root);
    document.body.appendChild(host);

    this.host = host;
    this.root = root;
    this.parts = {
      bubble: bubble, bubbleText: bubbleText, unreadText: unreadText, badge: badge, panel: panel, title: title, sub: sub,
      closeButton: closeButton, langGroup: langGroup, langButtons: langButtons,
      staffButton: staffButton, clearButton: clearButton, privacyButton: privacyButton,
      notice: notice, noticeTitle: noticeTitle, noticeBody: noticeBody, okButton: okButton,
      log: log, typing: typing, typingText: typingText, status: status, label: label,
      sendButton: sendButton, footText: footText,
    };
    this.input = input;
    this.showNotice(!this.state.noticeSeen);
  };

  /** Every string the widget itself shows, in the current language. */
  Widget.prototype.renderStrings = function () {
    var p = this.parts;
    var lang = this.state.lang;
    this.root.lang = LANG_TAGS[lang];
    p.title.textContent = this.config.title || this.t("title");
    p.sub.textContent = this.t("subtitle");
    p.bubbleText.textContent = this.t("bubble");
    p.closeButton.setAttribute("aria-label", this.t("close"));
    p.langGroup.setAttribute("aria-label", this.t("language"));
    Object.keys(p.langButtons).forEach(function (code) {
      p.langButtons[code].setAttribute("aria-pressed", String(code === lang));
    });
    p.staffButton.textContent = this.t("staff");
    p.clearButton.textContent = this.t("clear");
    p.privacyButton.textContent = this.t("privacy");
    p.noticeTitle.textContent = this.t("noticeTitle");
    p.noticeBody.textContent = "";
    this.t("notice").forEach(function (text) {
      p.noticeBody.appendChild(el("p", null, text));
    });
    p.noticeBody.appendChild(el("p", "ss-danger", this.t("danger")));
    p.okButton.textContent = this.t("noticeOk");
    p.log.setAttribute("aria-label", this.t("log"));
    p.typingText.textContent = this.t("typing");
    p.label.textContent = this.t("input");
    this.input.placeholder = this.t("placeholder");
    p.sendButton.textContent = this.t("send");
    p.footText.textContent = this.t("foot");
    var self = this;
    p.log.querySelectorAll("[data-who]").forEach(function (node) {
      node.textContent = self.t(node.getAttribute("data-who"));
    });
    p.log.querySelectorAll(".ss-replies").forEach(function (node) {
      node.setAttribute("aria-label", self.t("replies"));
    });
    p.log.querySelectorAll("[data-label]").forEach(function (node) {
      node.setAttribute("aria-label", self.t(node.getAttribute("data-label")));
    });
    var welcome = p.log.querySelector(".ss-welcome-text");
    if (welcome) welcome.textContent = this.t("welcome");
    var topics = p.log.querySelector(".ss-topics");
    if (topics) topics.textContent = this.t("topics");
    this.renderBadge();
  };

  Widget.prototype.renderBadge = function () {
    var p = this.parts;
    p.unreadText.textContent = this.unread > 0 ? this.t("unread")(this.unread) : "";
    p.badge.hidden = this.unread === 0;
    p.badge.textContent = String(this.unread);
  };

  /** The privacy notice stands in for the conversation until it is acknowledged (or re-opened). */
  Widget.prototype.showNotice = function (visible) {
    this.parts.notice.hidden = !visible;
    this.parts.log.hidden = visible;
    this.parts.privacyButton.setAttribute("aria-expanded", String(visible));
    if (visible && this.isOpen()) this.parts.okButton.focus();
  };

  // ---------------------------------------------------------------- conversation view

  Widget.prototype.renderLog = function () {
    var log = this.parts.log;
    log.textContent = "";
    var welcome = el("div", "ss-note ss-welcome");
    welcome.appendChild(el("p", "ss-welcome-text", this.t("welcome")));
    var self = this;
    var topics = el("button", "ss-reply ss-topics", this.t("topics"));
    topics.type = "button";
    topics.addEventListener("click", function () {
      // The UI language goes with the request, so the menu comes back in that language.
      var entity = self.state.lang === "en" ? "" : '{"language_choice":"' + self.state.lang + '"}';
      self.send("/help" + entity, self.t("topics"));
    });
    welcome.appendChild(topics);
    log.appendChild(welcome);
    var messages = this.state.messages;
    messages.forEach(function (msg, index) {
      var answered = messages.slice(index + 1).some(function (m) {
        return m.who === "user";
      });
      self.appendMessage(msg, !answered);
    });
    this.scrollDown();
  };

  Widget.prototype.appendMessage = function (msg, withButtons) {
    var self = this;
    var log = this.parts.log;
    if (msg.who === "note") {
      log.appendChild(el("p", "ss-note", msg.text));
      return;
    }
    var bubble = el("p", "ss-msg " + (msg.who === "user" ? "ss-user" : "ss-bot"));
    var who = el("span", "ss-sr", this.t(msg.who === "user" ? "you" : "bot"));
    who.setAttribute("data-who", msg.who === "user" ? "you" : "bot");
    bubble.appendChild(who);
    var body = el("span");
    var words = (msg.text || "") + (msg.link ? msg.link.label : "");
    body.lang = CJK.test(words) ? LANG_TAGS.zh : "en";
    if (msg.text) {
      if (msg.who === "bot") richText(body, msg.text, I18N[this.state.lang]);
      else body.textContent = msg.text;
    }
    if (msg.link && safeUrl(msg.link.url)) {
      if (msg.text) body.appendChild(document.createTextNode("\n"));
      var label = msg.link.filename ? this.t("download") + ": " + msg.link.label : msg.link.label;
      body.appendChild(link(msg.link.url, label, I18N[this.state.lang], msg.link.filename));
    }
    bubble.appendChild(body);
    if (body.firstChild) log.appendChild(bubble);
    if (withButtons && msg.buttons && msg.buttons.length) {
      var group = el("div", "ss-replies");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", this.t("replies"));
      msg.buttons.forEach(function (b) {
        var node;
        if (b.url) {
          if (!safeUrl(b.url)) return;
          node = link(b.url, b.title, I18N[self.state.lang]);
          node.className = "ss-reply";
        } else {
          node = el("button", "ss-reply", b.title);
          node.type = "button";
          node.lang = CJK.test(b.title) ? LANG_TAGS.zh : "en";
          var labelName = FEEDBACK_LABELS[b.title.trim()];
          if (labelName) {
            node.setAttribute("data-label", labelName);
            node.setAttribute("aria-label", self.t(labelName));
          }
          node.addEventListener("click", function () {
            self.send(b.payload, b.title);
          });
        }
        group.appendChild(node);
      });
      log.appendChild(group);
    }
  };

  Widget.prototype.scrollDown = function () {
    var log = this.parts.log;
    log.scrollTop = log.scrollHeight;
  };

  Widget.prototype.addMessage = function (msg) {
    msg.ts = Date.now();
    msg.id = msg.ts.toString(36) + Math.random().toString(36).slice(2, 8);
    msg.tab = TAB;
    this.state.messages.push(msg);
    this.save();
    if (msg.who === "user") {
      this.parts.log.querySelectorAll(".ss-replies").forEach(function (node) {
        node.remove();
      });
    }
    this.appendMessage(msg, true);
    this.scrollDown();
  };

  Widget.prototype.note = function (text) {
    this.parts.log.appendChild(el("p", "ss-note", text));
    this.scrollDown();
  };

  Widget.prototype.setTyping = function (on) {
    var self = this;
    clearTimeout(this.typingTimer);
    this.parts.typing.hidden = !on;
    if (on) {
      this.typingTimer = setTimeout(function () {
        self.parts.typing.hidden = true;
      }, 20000);
    }
  };

  Widget.prototype.setStatus = function (name) {
    this.parts.status.textContent = name ? this.t(name) : "";
  };

  // ---------------------------------------------------------------- open / close

  Widget.prototype.isOpen = function () {
    return !this.parts.panel.hidden;
  };

  Widget.prototype.open = function () {
    var p = this.parts;
    p.panel.hidden = false;
    this.root.classList.add("ss-open");
    p.bubble.setAttribute("aria-expanded", "true");
    this.unread = 0;
    this.renderBadge();
    this.scrollDown();
    this.connect();
    if (!p.notice.hidden) p.okButton.focus();
    else this.input.focus();
  };

  Widget.prototype.close = function () {
    var p = this.parts;
    p.panel.hidden = true;
    this.root.classList.remove("ss-open");
    p.bubble.setAttribute("aria-expanded", "false");
    p.bubble.focus();
  };

  // ---------------------------------------------------------------- talking to Rasa

  Widget.prototype.connect = function () {
    if (this.socket) {
      if (!this.socket.connected && !this.socket.active) this.socket.connect();
      return;
    }
    if (!ioClient) return;
    var self = this;
    var socket = ioClient(this.config.serverUrl, {
      path: this.config.socketPath,
      // A random key for this connection, sent with each of its requests: the proxy in front of
      // several Rasa processes keeps a connection on one of them by it (deploy/nginx), so users
      // behind one address (a school's network) still spread over the processes. It names no
      // one and is not the conversation's id.
      query: { ss_route: routeKey() },
      // WebSocket first: no CORS preflight and no sticky sessions behind a load balancer;
      // long-polling only if a proxy blocks WebSockets.
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnectionDelayMax: 10000,
      timeout: 10000,
    });
    this.socket = socket;
    socket.on("connect", function () {
      self.confirmed = false;
      socket.emit("session_request", { session_id: self.state.sessionId });
    });
    socket.on("session_confirm", function (data) {
      var id = typeof data === "string" ? data : data && data.session_id;
      if (!id) return;
      if (id !== self.state.sessionId) {
        self.state.sessionId = id;
        self.save();
      }
      self.confirmed = true;
      self.setStatus(null);
      self.flush();
    });
    socket.on("bot_uttered", function (data) {
      self.receive(data);
    });
    socket.on("disconnect", function () {
      self.confirmed = false;
    });
    socket.on("connect_error", function () {
      self.setStatus("offline");
      self.setTyping(false);
    });
  };

  /** True if another tab of this conversation already stored this message (every open tab of a
   * session receives each bot message); each stored copy is claimed once, so a message the bot
   * really repeats is still shown. */
  Widget.prototype.storedByOtherTab = function (msg) {
    var saved = this.load();
    if (saved.sessionId !== this.state.sessionId) return false;
    var sig = signature(msg);
    var now = Date.now();
    var claimed = this.claimed;
    var copy = saved.messages.filter(function (m) {
      return m.who === "bot" && m.tab !== TAB && !claimed[m.id] && now - (m.ts || 0) < 5000 &&
        signature(m) === sig;
    })[0];
    if (!copy) return false;
    claimed[copy.id] = true;
    this.state = saved;
    this.renderLog();
    return true;
  };

  Widget.prototype.receive = function (data) {
    if (data && typeof data.staff_answer === "string") {
      // Follows a staff answer's text, which is shown by now: tell the server it reached the user.
      this.confirmShown(data.staff_answer);
      return;
    }
    var msg = fromBot(data);
    this.setTyping(false);
    if (!msg || this.storedByOtherTab(msg)) return;
    this.addMessage(msg);
    if (!this.isOpen()) {
      this.unread += 1;
      this.renderBadge();
    }
  };

  Widget.prototype.confirmShown = function (reference) {
    if (!REFERENCE.test(reference)) return;
    if (!this.socket || !this.socket.connected || !this.state.sessionId) return;
    this.socket.emit("staff_answer_seen", { session_id: this.state.sessionId, reference: reference });
  };

  Widget.prototype.submit = function () {
    var text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    this.input.style.height = "auto";
    this.send(text, text);
    this.input.focus();
  };

  /** Send `message` to the assistant; `shown` is what the user sees as their message. */
  Widget.prototype.send = function (message, shown) {
    if (!this.parts.notice.hidden) {
      this.state.noticeSeen = true; // writing to the assistant acknowledges the notice
      this.showNotice(false);
    }
    this.addMessage({ who: "user", text: shown });
    this.queue.push(message);
    this.setTyping(true);
    this.connect();
    if (!this.confirmed) this.setStatus("connecting");
    this.flush();
  };

  Widget.prototype.flush = function () {
    if (!this.socket || !this.socket.connected || !this.confirmed || !this.state.sessionId) return;
    while (this.queue.length) {
      this.socket.emit("user_uttered", {
        message: this.queue.shift(),
        session_id: this.state.sessionId,
        metadata: { ui_language: this.state.lang, widget: VERSION },
      });
    }
  };

  Widget.prototype.setLanguage = function (code) {
    if (code === this.state.lang) return;
    this.state.lang = code;
    this.save();
    this.renderStrings();
    // The assistant's own language choice, so that its answers change too and the choice sticks.
    this.send('/set_language{"language_choice":"' + code + '"}', I18N[code].langName);
  };

  Widget.prototype.clear = function () {
    this.state.messages = [];
    this.state.sessionId = null;
    this.queue = [];
    this.save();
    this.renderLog();
    this.setTyping(false);
    this.note(this.t("cleared"));
    if (this.socket) {
      // A new Socket.IO connection leaves the old session's room and asks for a new session.
      this.socket.disconnect();
      this.socket.connect();
    }
    this.input.focus();
  };

  Widget.prototype.destroy = function () {
    window.removeEventListener("storage", this.onStorage);
    if (this.socket) this.socket.disconnect();
    this.host.remove();
  };

  // ---------------------------------------------------------------- configuration and start

  function configFrom(options) {
    options = options || {};
    var data = (SCRIPT && SCRIPT.dataset) || {};
    var pageLang = normaliseLang(document.documentElement.lang);
    var serverUrl = options.serverUrl || data.serverUrl || "";
    if (!serverUrl && SCRIPT && SCRIPT.src) serverUrl = new URL(SCRIPT.src).origin;
    return {
      serverUrl: String(serverUrl).replace(/\/+$/, ""),
      socketPath: options.socketPath || data.socketPath || "/socket.io",
      language: normaliseLang(options.language || data.language) || pageLang || "en",
      title: options.title || data.title || "",
      primaryColor: options.primaryColor || data.primaryColor || DEFAULT_COLOUR,
    };
  }

  var widget = null;

  function whenReady(fn) {
    if (document.body) fn();
    else document.addEventListener("DOMContentLoaded", fn, { once: true });
  }

  var api = {
    version: VERSION,
    init: function (options) {
      whenReady(function () {
        if (widget) widget.destroy();
        widget = new Widget(configFrom(options));
      });
      return api;
    },
    open: function () {
      if (widget) widget.open();
    },
    close: function () {
      if (widget) widget.close();
    },
    destroy: function () {
      if (widget) widget.destroy();
      widget = null;
    },
  };
  window.SafeShare = api;

  if (SCRIPT && SCRIPT.dataset && SCRIPT.dataset.serverUrl) api.init();
})();
