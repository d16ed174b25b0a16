"""Logging for the relay: never the token, never message text.

The relay's own log lines name a chat only by its pseudonymous key and never include what was
said. Libraries are less careful: httpx logs every request URL at INFO, and a Bot API URL
contains the token. So httpx/httpcore are kept at WARNING, and a filter on the root handlers
masks the token in any record that would still carry it.
"""

from __future__ import annotations

import logging

from bot.rasa_client import chat_pseudonym

MASK = "<token>"


class TokenFilter(logging.Filter):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.token:
            return True
        message = record.getMessage()
        if self.token in message:
            record.msg = message.replace(self.token, MASK)
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            if self.token in str(exc):
                record.exc_info = None
                record.exc_text = None
                record.msg = f"{record.msg} ({type(exc).__name__}, details hidden)"
        return True


def configure(level: str, token: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
    for handler in logging.getLogger().handlers:
        handler.addFilter(TokenFilter(token))


def chat_key(chat_id: int | str) -> str:
    """How a chat appears in logs: a short prefix of its pseudonymous key."""
    return chat_pseudonym(chat_id)[:12]
