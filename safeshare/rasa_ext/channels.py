"""The REST channel, refusing request bodies that are not a JSON object.

Rasa's `RestInput` reads `request.json.get(...)`: an empty body, `null`, an array or a bare string
is an AttributeError inside Rasa, answered 500. This subclass answers 400 with a short
explanation instead. Same name ("rest"), same URL (/webhooks/rest/webhook), same behaviour for
every well-formed request.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage
from sanic.request import Request


class ObjectBodyRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, req: Request) -> Any:
        # Rasa reads the sender first: the one place to check the body's shape for every request.
        if not isinstance(req.json, dict):
            raise InvalidUsage('expected a JSON object such as {"sender": "...", "message": "..."}')
        return await super()._extract_sender(req)
