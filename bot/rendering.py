"""Turn Rasa's replies into Telegram messages.

Pure functions and one small in-memory map, so they are unit-tested without Telegram or Rasa:
text is split under Telegram's 4096-character limit on paragraph, then line, then word boundaries
(`safeshare.botapi.split_text`, which staff answers use too);
Rasa's buttons become inline keyboards whose callback data is the payload itself when it fits
Telegram's 64 bytes, else a short key remembered in memory (`CallbackPayloads`); the custom
`{"document": {"url", "filename"}}` payload becomes a document to fetch and send.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from safeshare.botapi import TEXT_LIMIT, split_text

CALLBACK_DATA_LIMIT = 64  # bytes
KEY_PREFIX = "#k:"  # callback data that is a key into CallbackPayloads, not a payload
CHOSEN = "#chosen"  # callback data of the "✓ option" button left after a press
SHORT_TITLE = 18  # titles up to this length share a keyboard row, two by two


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class TextMessage:
    text: str
    buttons: tuple[Button, ...] = field(default=())


@dataclass(frozen=True)
class DocumentMessage:
    url: str
    filename: str


Outgoing = TextMessage | DocumentMessage


def _buttons(raw: Iterable[dict[str, Any]] | None) -> tuple[Button, ...]:
    out = []
    for item in raw or []:
        title = str(item.get("title") or "").strip()
        payload = str(item.get("payload") or "").strip()
        if title and payload:
            out.append(Button(title, payload))
    return tuple(out)


def from_rasa(replies: Sequence[dict[str, Any]], limit: int = TEXT_LIMIT) -> list[Outgoing]:
    """Telegram messages for Rasa's REST replies, in order.

    Rasa's REST channel sends every paragraph of a response as its own message; on a phone that
    is a burst of notifications. So consecutive texts are joined back into one message (split
    again only where Telegram's limit requires), and a reply's buttons go under the message that
    ends with its text. Buttons with no text to hang under go under the previous message if it
    has none (Telegram cannot send buttons alone). Images are sent as their link; a document is
    its own message; other custom payloads are not for Telegram and are skipped.
    """
    out: list[Outgoing] = []
    pending: list[str] = []

    def flush(buttons: tuple[Button, ...] = ()) -> None:
        if pending:
            pieces = split_text("\n\n".join(pending), limit)
            pending.clear()
            out.extend(TextMessage(piece) for piece in pieces[:-1])
            out.append(TextMessage(pieces[-1], buttons))
        elif buttons and out and isinstance(out[-1], TextMessage) and not out[-1].buttons:
            out[-1] = TextMessage(out[-1].text, buttons)

    for reply in replies:
        text = str(reply.get("text") or "").strip()
        image = str(reply.get("image") or "").strip()
        if image:
            text = f"{text}\n{image}".strip()
        if text:
            pending.append(text)
        buttons = _buttons(reply.get("buttons"))
        if buttons:
            flush(buttons)
        custom = reply.get("custom")
        document = custom.get("document") if isinstance(custom, dict) else None
        if isinstance(document, dict) and document.get("url"):
            flush()
            url = str(document["url"])
            filename = str(document.get("filename") or url.rsplit("/", 1)[-1].split("?")[0])
            out.append(DocumentMessage(url, filename or "document"))
    flush()
    return out


class CallbackPayloads:
    """Callback data for button payloads; payloads longer than 64 bytes get a short key.

    The keys live in memory only (bounded, oldest forgotten first): after a restart an old
    button's key is unknown and the relay shows the menu instead. A key is a hash of the payload,
    so the same payload always gets the same key.
    """

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._payloads: OrderedDict[str, str] = OrderedDict()

    def encode(self, payload: str) -> str:
        if len(payload.encode()) <= CALLBACK_DATA_LIMIT and not payload.startswith("#"):
            return payload
        key = KEY_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:24]
        self._payloads[key] = payload
        self._payloads.move_to_end(key)
        while len(self._payloads) > self.capacity:
            self._payloads.popitem(last=False)
        return key

    def decode(self, data: str) -> str | None:
        """The payload for callback data; None for an unknown key or the "chosen" marker."""
        if data == CHOSEN:
            return None
        if data.startswith(KEY_PREFIX):
            return self._payloads.get(data)
        return data


def _rows(buttons: Sequence[Button]) -> list[list[Button]]:
    """Short titles two to a row, long ones alone: readable on a phone."""
    rows: list[list[Button]] = []
    for button in buttons:
        short = len(button.title) <= SHORT_TITLE
        if short and rows and len(rows[-1]) == 1 and len(rows[-1][0].title) <= SHORT_TITLE:
            rows[-1].append(button)
        else:
            rows.append([button])
    return rows


def keyboard(buttons: Sequence[Button], payloads: CallbackPayloads) -> InlineKeyboardMarkup | None:
    """An inline keyboard; buttons whose payload is a web link open it instead of calling back."""
    if not buttons:
        return None
    rows = []
    for row in _rows(buttons):
        keys = []
        for button in row:
            if button.payload.startswith(("https://", "http://")):
                keys.append(InlineKeyboardButton(button.title, url=button.payload))
            else:
                data = payloads.encode(button.payload)
                keys.append(InlineKeyboardButton(button.title, callback_data=data))
        rows.append(keys)
    return InlineKeyboardMarkup(rows)


def chosen_title(markup: InlineKeyboardMarkup | None, data: str) -> str | None:
    """The title of the button that carried `data` in a message's keyboard."""
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


def chosen_keyboard(title: str) -> InlineKeyboardMarkup:
    """What replaces a keyboard once an option is pressed: the choice, marked, and inert."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"✓ {title}", callback_data=CHOSEN)]])
