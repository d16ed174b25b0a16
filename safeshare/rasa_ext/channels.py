"""Input channels of the Rasa server.

`ObjectBodyRestInput`: the REST channel, refusing request bodies that are not a JSON object.
Rasa's `RestInput` reads `request.json.get(...)`: an empty body, `null`, an array or a bare string
is an AttributeError inside Rasa, answered 500. This subclass answers 400 with a short
explanation instead. Same name ("rest"), same URL (/webhooks/rest/webhook), same behaviour for
every well-formed request.

`WidgetSocketIOInput`: Rasa's Socket.IO channel (the website widget) with two additions.

- The event `staff_answer_seen`. A staff answer said in a widget conversation is only
  *delivered* once a browser has shown it: Rasa emits to the conversation's room whether or not
  anyone is in it (the user may have closed the page). The widget confirms each staff answer it
  shows; until it does, the inquiry stays pending and the answer is said again at the start of
  the user's next session.
- With several replicas (`REDIS_URL` set), messages for a widget go through Redis
  (`RedisRelayManager`), so the replica that handles a message, or the console's push of a staff
  answer, reaches a browser connected to any replica.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from redis.exceptions import RedisError
from sanic import Blueprint
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from socketio import AsyncRedisManager

from safeshare.errors import StoreUnavailable
from safeshare.identity import is_reference, sender_key
from safeshare.settings import get_settings

logger = logging.getLogger(__name__)

STAFF_ANSWER_SEEN = "staff_answer_seen"


class ObjectBodyRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, req: Request) -> Any:
        # Rasa reads the sender first: the one place to check the body's shape for every request.
        if not isinstance(req.json, dict):
            raise InvalidUsage('expected a JSON object such as {"sender": "...", "message": "..."}')
        return await super()._extract_sender(req)


def confirm_staff_answer_seen(session_id: str, reference: str) -> bool:
    """Marks the staff answer delivered if `reference` is an answered inquiry of this session."""
    from safeshare.db import repository
    from safeshare.db.session import session_scope

    with session_scope() as session:
        return repository.confirm_seen(session, sender_key(session_id), reference)


class RedisRelayManager(AsyncRedisManager):
    """python-socketio's Redis client manager, for Rasa replicas sharing one Redis: an emit goes
    to this replica's own clients in the room directly, and through a Redis channel to the other
    replicas, which pass it to theirs.

    Changes to the original: messages are JSON, never pickle (what arrives on the channel is never
    unpickled, so whoever can publish to Redis cannot run code in Rasa); this replica's clients do
    not depend on Redis (the original sends every emit, its own clients' too, round Redis), so a
    Redis outage only cuts messages between replicas, and is logged once."""

    def __init__(self, url: str, channel: str = "safeshare-socketio") -> None:
        # The listening connection waits for messages indefinitely: no read time-out on it.
        super().__init__(url, channel=channel, redis_options={"socket_connect_timeout": 3})
        self.publisher = redis.asyncio.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
        self._down = False

    @staticmethod
    def _plain_emit(message: dict[str, Any]) -> bool:
        return message.get("method") == "emit" and not message.get("callback")

    async def _publish(self, data: dict[str, Any]) -> None:
        if self._plain_emit(data):
            await self._handle_emit(data)
        try:
            await self.publisher.publish(self.channel, json.dumps(data))
        except (RedisError, OSError) as error:
            if not self._down:
                name = type(error).__name__
                logger.error("Socket.IO relay: Redis unreachable (%s): this replica's clients only", name)
            self._down = True
        else:
            if self._down:
                logger.warning("Socket.IO relay: Redis reachable again")
            self._down = False

    async def _listen(self) -> Any:
        async for raw in super()._listen():
            try:
                message = json.loads(raw)
            except (TypeError, ValueError):
                continue  # not one of ours
            if not isinstance(message, dict):
                continue
            if self._plain_emit(message) and message.get("host_id") == self.host_id:
                continue  # already given to this replica's clients
            yield message


class WidgetSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        redis_url = get_settings().redis_url
        if redis_url:  # before any client connects, so before the manager is initialised
            sio.manager = RedisRelayManager(redis_url)
            sio.manager.set_server(sio)

        @sio.on(STAFF_ANSWER_SEEN, namespace=self.namespace)
        async def staff_answer_seen(sid: str, data: Any) -> None:
            if not isinstance(data, dict):
                return
            session_id, reference = data.get("session_id"), data.get("reference")
            if not isinstance(session_id, str) or not isinstance(reference, str):
                return
            if not is_reference(reference):
                return
            # Only for the conversation this socket joined with `session_request`.
            if session_id not in sio.rooms(sid, namespace=self.namespace):
                return
            try:
                seen = await asyncio.to_thread(confirm_staff_answer_seen, session_id, reference)
            except StoreUnavailable as error:
                # Not lost: the answer stays pending and is said again at the next session.
                logger.warning("could not record that %s was shown: %s", reference, type(error).__name__)
                return
            if seen:
                logger.info("staff answer %s shown in the widget", reference)

        return blueprint
