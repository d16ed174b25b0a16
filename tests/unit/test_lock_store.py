"""The lock stores: one message of a conversation at a time, across replicas through Redis or
across the processes of one machine through lock files, and still answering while Redis is down
(in-process locks meanwhile)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import redis
from rasa.core.lock_store import LockError, LockStore

from safeshare.rasa_ext.lock_store import FileLockStore, LocalLockStore, ResilientRedisLockStore


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_unreachable_redis_falls_back_to_in_process_locks() -> None:
    store = ResilientRedisLockStore(host="127.0.0.1", port=closed_port(), socket_timeout=1)
    order: list[str] = []

    async def handle(name: str, hold: float) -> None:
        async with store.lock("conversation-1", wait_time_in_seconds=0.01):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    await asyncio.gather(handle("first", 0.1), handle("second", 0))
    # Still one message of a conversation at a time.
    assert order == ["first in", "first out", "second in", "second out"]
    assert store._down_since is not None


async def test_other_errors_are_not_hidden() -> None:
    store = ResilientRedisLockStore(host="127.0.0.1", port=closed_port(), socket_timeout=1)

    def broken(*_: object, **__: object) -> None:
        raise ValueError("not a Redis problem")

    store._issue = broken  # type: ignore[assignment,method-assign]
    with pytest.raises(ValueError):
        async with store.lock("conversation-2"):
            pass
    assert store._down_since is None


async def test_the_in_process_store_does_not_wait_a_second_per_queued_message() -> None:
    store = LocalLockStore()

    async def handle() -> None:
        async with store.lock("conversation-local"):
            await asyncio.sleep(0.01)

    started = time.monotonic()
    await asyncio.gather(*(handle() for _ in range(5)))
    # Rasa's default looks again every second: 4 waiting messages would take 4 s.
    assert time.monotonic() - started < 1.0


# -- shared by several processes: a real Redis, or lock files ---------------------------------
@pytest.fixture
def store_factory(redis_url: str) -> Iterator[Callable[[], ResilientRedisLockStore]]:
    parsed = urlparse(redis_url)
    prefix = f"safesharetest{uuid.uuid4().hex[:8]}"

    def make() -> ResilientRedisLockStore:
        return ResilientRedisLockStore(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 6379,
            db=int(parsed.path.lstrip("/") or 0),
            password=parsed.password,
            key_prefix=prefix,
        )

    client = redis.Redis.from_url(redis_url)
    make.prefix = prefix  # type: ignore[attr-defined]
    make.keys = lambda: sorted(key.decode() for key in client.scan_iter(f"{prefix}:*"))  # type: ignore[attr-defined]
    yield make
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.redis), "files"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], LockStore]:
    """A factory of stores that share their locks (one per replica), with `.keys()`: what is left
    of the locks (Redis keys; conversations in the lock files)."""
    if request.param == "redis":
        return request.getfixturevalue("store_factory")
    folder = tmp_path / "locks"

    def make() -> FileLockStore:
        return FileLockStore(folder)

    make.keys = lambda: FileLockStore(folder).held()  # type: ignore[attr-defined]
    return make


@pytest.mark.redis
async def test_with_redis_up_the_locks_are_in_redis_and_gone_after(store_factory) -> None:
    store = store_factory()
    prefix = store_factory.prefix
    async with store.lock("conversation-3"):
        assert store_factory.keys() == [f"{prefix}:lock:conversation-3", f"{prefix}:lockseq:conversation-3"]
    assert store_factory.keys() == []
    assert store._down_since is None


def exclusion_run(stores: list[LockStore], rounds: int) -> tuple[int, int]:
    """Each store in its own thread with its own event loop (as replicas are), all locking one
    conversation over and over. Returns (most holders seen at once, locks taken)."""
    inside = 0
    most = 0
    taken = 0
    guard = threading.Lock()
    start = threading.Barrier(len(stores))

    async def replica(store: LockStore) -> None:
        nonlocal inside, most, taken

        async def message() -> None:
            nonlocal inside, most, taken
            async with store.lock("shared-conversation", wait_time_in_seconds=0.001):
                with guard:
                    inside += 1
                    most = max(most, inside)
                    taken += 1
                await asyncio.sleep(0.002)
                with guard:
                    inside -= 1

        start.wait()
        for _ in range(rounds):
            await asyncio.gather(message(), message())

    threads = [threading.Thread(target=asyncio.run, args=(replica(store),)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return most, taken


def test_replicas_never_hold_one_conversation_at_once(shared_store) -> None:
    """Four replicas, two messages each at a time, 40 rounds: never two holders. (Rasa's own
    RedisLockStore fails this: its read-change-write of the lock lets two replicas hold ticket 0.)"""
    stores = [shared_store() for _ in range(4)]
    most, taken = exclusion_run(stores, rounds=40)
    assert taken == 4 * 40 * 2
    assert most == 1
    assert shared_store.keys() == []


async def test_tickets_are_served_in_the_order_they_were_issued(shared_store) -> None:
    store = shared_store()
    order: list[int] = []
    holding = asyncio.Event()

    async def first() -> None:
        async with store.lock("queue"):
            holding.set()
            await asyncio.sleep(0.2)
            order.append(0)

    async def later(n: int) -> None:
        await holding.wait()
        await asyncio.sleep(0.01 * n)  # issue tickets 1, 2, 3 in this order
        async with store.lock("queue"):
            order.append(n)

    await asyncio.gather(first(), later(3), later(1), later(2))
    assert order == [0, 1, 2, 3]


async def test_a_dead_replicas_ticket_expires_and_the_next_is_served(shared_store) -> None:
    store = shared_store()
    await store.issue_ticket("orphaned", lock_lifetime=0.3)  # taken, never given back
    started = time.monotonic()
    async with store.lock("orphaned"):
        waited = time.monotonic() - started
    assert 0.2 <= waited < 2
    assert shared_store.keys() == []


async def test_a_waiter_that_outlives_its_ticket_gets_a_lock_error(shared_store) -> None:
    store = shared_store()
    holder = await store.issue_ticket("slow", lock_lifetime=30)
    with pytest.raises(LockError):
        async with store.lock("slow", lock_lifetime=0.1):
            pass
    await store.release("slow", holder)
    assert shared_store.keys() == []


async def test_a_cancelled_waiter_gives_its_ticket_back(shared_store) -> None:
    store = shared_store()
    holder = await store.issue_ticket("cancel")
    waiter = asyncio.create_task(store.lock("cancel").__aenter__())
    await asyncio.sleep(0.1)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await store.release("cancel", holder)
    # Nothing left waiting: the next message is served at once, not after the lifetime.
    started = time.monotonic()
    async with store.lock("cancel"):
        assert time.monotonic() - started < 0.5
    assert shared_store.keys() == []


async def test_a_redis_that_does_not_answer_holds_up_one_message_not_the_event_loop() -> None:
    """A black hole where Redis should be (connections accepted, nothing answered): the message
    waits for the time-out and then falls back to in-process locks; meanwhile the event loop,
    which serves every other conversation, keeps running."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    store = ResilientRedisLockStore(host="127.0.0.1", port=port, socket_timeout=1)
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.monotonic()
        while not done.is_set():
            await asyncio.sleep(0.02)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    async def message() -> float:
        await asyncio.sleep(0.1)  # the ticker is running
        started = time.monotonic()
        try:
            async with store.lock("black-hole"):
                return time.monotonic() - started
        finally:
            done.set()

    try:
        waited, _ = await asyncio.gather(message(), ticker())
    finally:
        listener.close()
    assert 0.9 <= waited < 5  # the time-out, then in-process locks
    assert store._down_since is not None
    assert gaps and max(gaps) < 0.5, f"event loop blocked for {max(gaps, default=0):.2f} s"


LOCKING_PROCESS = """
import asyncio, sys, time
from safeshare.rasa_ext.lock_store import FileLockStore

async def main(folder, rounds):
    store = FileLockStore(folder)
    async def message():
        async with store.lock("one-conversation", wait_time_in_seconds=0.001):
            start = time.monotonic()
            await asyncio.sleep(0.003)
            print(start, time.monotonic(), flush=True)
    for _ in range(rounds):
        await asyncio.gather(message(), message())

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def test_lock_files_hold_across_processes(tmp_path: Path) -> None:
    """Three real processes (as `make run`'s Rasa processes are), two messages each at a time, one
    conversation: the times each held the lock never overlap, and no lock file is left."""
    import subprocess
    import sys

    folder = tmp_path / "locks"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", LOCKING_PROCESS, str(folder), "25"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    held: list[tuple[float, float]] = []
    for process in processes:
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0
        held += [(float(a), float(b)) for a, b in (line.split() for line in out.splitlines())]
    assert len(held) == 3 * 25 * 2
    held.sort()
    for (_, end), (start, _) in zip(held, held[1:]):
        assert start >= end, "two processes held one conversation's lock at once"
    assert FileLockStore(folder).held() == []


async def test_lock_files_name_no_one_and_keep_only_live_tickets(tmp_path: Path) -> None:
    """The files are named by a stripe number and hold hashes; a ticket a killed process never
    gave back goes when its file is next written."""
    store = FileLockStore(tmp_path / "locks")
    phone = "+85291234567"
    await store.issue_ticket(phone, lock_lifetime=0.01)  # its process killed: never given back
    await asyncio.sleep(0.02)
    others = [f"conversation-{n}" for n in range(600)]
    # and one that shares the killed ticket's file
    others.append(next(c for n in range(10**5) if store.path(c := f"other-{n}") == store.path(phone)))
    for other in others:
        async with store.lock(other):
            pass
    assert store.held() == []
    files = list((tmp_path / "locks").iterdir())
    assert 1 < len(files) <= 256
    for path in files:
        assert "9123" not in path.name and path.name.endswith(".lock")
        assert "9123" not in path.read_text() and "conversation" not in path.read_text()
        assert "other" not in path.read_text()
    assert (tmp_path / "locks").stat().st_mode & 0o077 == 0
    # A stripe shared by several conversations: each is served on its own tickets.
    same = [c for c in others if store.path(c) == store.path(others[0])][:2]
    assert len(same) == 2
    async with store.lock(same[0]):
        async with store.lock(same[1]):
            assert len(store.held()) == 2
