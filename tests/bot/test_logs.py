"""The relay's logging (bot/logs.py): the token masked, chats named by a pseudonymous key."""

from __future__ import annotations

import logging

import pytest

from bot.logs import MASK, TokenFilter, chat_key
from safeshare.identity import sender_key


def test_token_filter_masks_the_token_in_messages_and_arguments(
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = "123456:SECRET-TOKEN"
    logger = logging.getLogger("test.bot.logs")
    handler_filter = TokenFilter(token)
    caplog.handler.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger="test.bot.logs"):
            logger.info("POST https://api.telegram.org/bot%s/getUpdates", token)
            logger.info(f"url https://api.telegram.org/bot{token}/sendMessage")
            try:
                raise RuntimeError(f"failed at /bot{token}/x")
            except RuntimeError:
                logger.exception("request failed")
    finally:
        caplog.handler.removeFilter(handler_filter)
    text = caplog.text
    assert token not in text
    assert text.count(MASK) == 2
    assert "details hidden" in text


def test_chat_key_is_pseudonymous_and_stable() -> None:
    assert chat_key(42) == sender_key("telegram:42")[:12]
    assert chat_key(42) != chat_key(43)
