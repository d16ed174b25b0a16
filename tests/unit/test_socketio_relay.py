"""The widget channel's Redis relay between Rasa replicas: JSON only (a pickle published on the
channel is never loaded), this replica's own emits are not delivered twice, and with Redis down
an emit still reaches this replica's clients."""

from __future__ import annotations

import asyncio
import json
import pickle
import socket
import uuid

import pytest
import redis

from safeshare.rasa_ext.channels import RedisRelayManager


class Exploit:
    def __reduce__(self):  # what a forged pickle would run on loading
        return (print, ("unpickled!",))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.redis
async def test_only_json_from_other_replicas_is_passed_on(redis_url: str) -> None:
    channel = f"safeshare-test-{uuid.uuid4().hex[:8]}"
    manager = RedisRelayManager(redis_url, channel=channel)
    received: list[dict] = []

    async def listen() -> None:
        async for message in manager._listen():
            received.append(message)

    task = asyncio.create_task(listen())
    publisher = redis.Redis.from_url(redis_url)
    try:
        for _ in range(50):  # until the listener has subscribed
            if publisher.pubsub_numsub(channel)[0][1]:
                break
            await asyncio.sleep(0.05)
        emit = {
            "method": "emit",
            "event": "bot_uttered",
            "data": {"text": "hi"},
            "room": "r",
            "callback": None,
        }
        publisher.publish(channel, pickle.dumps({**emit, "host_id": "other"}))
        publisher.publish(channel, pickle.dumps(Exploit()))
        publisher.publish(channel, b"\xff not json")
        publisher.publish(channel, json.dumps({**emit, "host_id": manager.host_id}))  # our own
        publisher.publish(channel, json.dumps({**emit, "host_id": "other"}))
        for _ in range(50):
            if received:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
    finally:
        task.cancel()
        publisher.close()
    assert received == [{**emit, "host_id": "other"}]


async def test_with_redis_down_this_replicas_clients_still_get_the_emit() -> None:
    manager = RedisRelayManager(f"redis://127.0.0.1:{closed_port()}/0")
    handled: list[dict] = []

    async def local(message: dict) -> None:
        handled.append(message)

    manager._handle_emit = local  # type: ignore[method-assign]
    emit = {"method": "emit", "event": "bot_uttered", "data": {"text": "hi"}, "room": "r", "callback": None}
    await manager._publish(emit)
    assert handled == [emit]
    assert manager._down
