"""A fake Telegram Bot API: on loopback for other processes, or in process for unit tests.

Why: the relay, the console's staff answers and staff notifications must be tested through their
real HTTP clients (python-telegram-bot, httpx) without reaching Telegram. The same fake serves two
ways: `FakeTelegramServer` speaks real HTTP on 127.0.0.1 (aiohttp in a background thread, so sync
tests, async tests and subprocesses such as `python -m bot` can use it), and its `transport()` is
an httpx transport for python-telegram-bot's request in the test's own process (no socket).

Usage:

    from tests.fakes.telegram_api import FakeTelegramServer, text_update

    with FakeTelegramServer(token="123456:TEST") as tg:
        # a subprocess: TELEGRAM_BOT_TOKEN=tg.token TELEGRAM_API_URL=tg.base_url python -m bot
        tg.push_update(text_update(42, "what is a deepfake?"))
        message = tg.wait_for_message(42, contains="deepfake", timeout=30)
        tg.fail_next("sendMessage", status=429, retry_after=1)   # Too Many Requests once
        tg.fail_next("sendMessage", status=502)                  # Bad Gateway once
        tg.fail_next("sendMessage", status=403)                  # the user blocked the bot

    tg = FakeTelegramServer(token="123456:TEST")   # in process, never started
    request = HTTPXRequest(httpx_kwargs={"transport": tg.transport()})

Recorded: `call_log` has every request, failed ones included, as {"method", "params", "status",
"at"} (a monotonic time, to check that a retry waited `retry_after`); `calls` has the same as
(method, params). Parameters are decoded from JSON, form or multipart bodies: `chat_id`,
`message_id`, ... become ints when numeric, `reply_markup` and other object parameters dicts, a
multipart file {"filename", "content_type", "content": bytes}.

Methods: getMe, deleteWebhook, setWebhook, getUpdates (long polling with offset/timeout/limit),
sendMessage, sendDocument, sendChatAction, answerCallbackQuery, editMessageReplyMarkup and
setMyCommands: what the relay, the console and staff notifications call. Any other method answers
404 like Telegram does, and a file download (under `base_file_url`) 404 too; both are recorded
(method "download" for a file), so a test can assert they never happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

import httpx
from aiohttp import web

BOT_ID = 7_000_000_001
BOT_USERNAME = "SafeShareTestBot"
BOT_NAME = "SafeShare HK (test)"

# Parameters Telegram takes as JSON-serialised objects in form and multipart bodies.
_OBJECT_PARAMS = {"reply_markup", "allowed_updates", "commands", "scope", "entities", "link_preview_options"}
_INT_PARAMS = {"chat_id", "message_id", "offset", "limit", "timeout", "max_connections"}
_BOOL_PARAMS = {"drop_pending_updates", "disable_notification"}

_ids = itertools.count(1000)


def _next_id() -> int:
    return next(_ids)


# --------------------------------------------------------------------------- update builders


def user(user_id: int, language_code: str | None = "en") -> dict[str, Any]:
    out: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Parent"}
    if language_code:
        out["language_code"] = language_code
    return out


def chat(chat_id: int, chat_type: str = "private") -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": "Parent"}
    return {"id": chat_id, "type": chat_type, "title": "School parents"}


def bot_user() -> dict[str, Any]:
    return {"id": BOT_ID, "is_bot": True, "first_name": BOT_NAME, "username": BOT_USERNAME}


def _entities(text: str) -> list[dict[str, Any]]:
    """What Telegram's clients attach: a bot_command at the start, @mentions anywhere (offsets in
    UTF-16 code units; the builders only use BMP text)."""
    entities: list[dict[str, Any]] = []
    if text.startswith("/"):
        entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
    start = 0
    while (index := text.find("@", start)) >= 0:
        end = index + 1
        while end < len(text) and (text[end].isalnum() or text[end] == "_"):
            end += 1
        in_command = bool(entities) and entities[0]["type"] == "bot_command" and index < entities[0]["length"]
        if end - index > 1 and not in_command:
            entities.append({"type": "mention", "offset": index, "length": end - index})
        start = end
    return entities


def _message(
    chat_id: int,
    *,
    chat_type: str = "private",
    from_id: int | None = None,
    language_code: str | None = "en",
    message_id: int | None = None,
    reply_to_bot: bool = False,
    **content: Any,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": message_id or _next_id(),
        "date": int(time.time()),
        "chat": chat(chat_id, chat_type),
        "from": user(from_id if from_id is not None else abs(chat_id), language_code),
    }
    if reply_to_bot:
        message["reply_to_message"] = {
            "message_id": _next_id(),
            "date": int(time.time()) - 5,
            "chat": chat(chat_id, chat_type),
            "from": bot_user(),
            "text": "(an earlier answer from the bot)",
        }
    message.update(content)
    return message


def text_update(chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
    """A text message; commands and @mentions get the entities real clients send. Keywords:
    chat_type, from_id, language_code, message_id, reply_to_bot."""
    message = _message(chat_id, text=text, **kwargs)
    if entities := _entities(text):
        message["entities"] = entities
    return {"message": message}


def group_text_update(chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
    """A text message in a group (chat ids of groups are negative on Telegram)."""
    kwargs.setdefault("from_id", 5550001)
    return text_update(-abs(chat_id), text, chat_type="group", **kwargs)


def edited_update(chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
    message = text_update(chat_id, text, **kwargs)["message"]
    message["edit_date"] = int(time.time())
    return {"edited_message": message}


def callback_update(
    chat_id: int,
    data: str,
    *,
    language_code: str | None = "en",
    message_text: str = "(the bot's message with buttons)",
    reply_markup: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A press on an inline button of one of the bot's messages."""
    message: dict[str, Any] = {
        "message_id": _next_id(),
        "date": int(time.time()) - 1,
        "chat": chat(chat_id),
        "from": bot_user(),
        "text": message_text,
    }
    if reply_markup:
        message["reply_markup"] = reply_markup
    return {
        "callback_query": {
            "id": str(_next_id()),
            "from": user(abs(chat_id), language_code),
            "message": message,
            "chat_instance": str(abs(chat_id) * 7),
            "data": data,
        }
    }


def _file(prefix: str, **fields: Any) -> dict[str, Any]:
    return {"file_id": f"{prefix}-{_next_id()}", "file_unique_id": prefix.lower()[:8], **fields}


def photo_update(chat_id: int, *, caption: str | None = None, **kwargs: Any) -> dict[str, Any]:
    content: dict[str, Any] = {
        "photo": [
            _file("PHOTO-SMALL", width=90, height=90, file_size=1200),
            _file("PHOTO-LARGE", width=1280, height=960, file_size=180000),
        ]
    }
    if caption is not None:
        content["caption"] = caption
        if entities := _entities(caption):
            content["caption_entities"] = entities
    return {"message": _message(chat_id, **kwargs, **content)}


def group_photo_update(chat_id: int, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("from_id", 5550001)
    return photo_update(-abs(chat_id), chat_type="group", **kwargs)


def sticker_update(chat_id: int, **kwargs: Any) -> dict[str, Any]:
    sticker = _file(
        "STICKER", width=512, height=512, is_animated=False, is_video=False, type="regular", emoji="👍"
    )
    return {"message": _message(chat_id, sticker=sticker, **kwargs)}


def voice_update(chat_id: int, **kwargs: Any) -> dict[str, Any]:
    voice = _file("VOICE", duration=4, mime_type="audio/ogg", file_size=9000)
    return {"message": _message(chat_id, voice=voice, **kwargs)}


def video_update(chat_id: int, **kwargs: Any) -> dict[str, Any]:
    video = _file("VIDEO", width=640, height=480, duration=7, mime_type="video/mp4", file_size=300000)
    return {"message": _message(chat_id, video=video, **kwargs)}


def document_update(chat_id: int, filename: str = "photo_of_child.jpg", **kwargs: Any) -> dict[str, Any]:
    document = _file("DOC", file_name=filename, mime_type="image/jpeg", file_size=50000)
    return {"message": _message(chat_id, document=document, **kwargs)}


# --------------------------------------------------------------------------- the fake


class FakeTelegramServer:
    """The fake Bot API; see the module docstring. `start()` (or `with`) serves it on
    127.0.0.1:<free port>; `transport()` serves it in process without starting anything."""

    def __init__(self, token: str = "123456:TEST", *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.call_log: list[dict[str, Any]] = []
        self._failures: dict[str, list[dict[str, Any]]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._new_update: asyncio.Condition | None = None
        self._closing = False

    # ---- addresses

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    @property
    def api_url(self) -> str:
        """base_url + token: where a raw HTTP client posts `/<method>`."""
        return f"{self.base_url}{self.token}"

    # ---- serving on loopback

    def start(self) -> FakeTelegramServer:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-telegram", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        return self

    async def _serve(self) -> None:
        self._new_update = asyncio.Condition()
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.*}", self._handle_download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server  # noqa: SLF001 - aiohttp has no public accessor for the port
        if self.port == 0 and server is not None and server.sockets:
            self.port = int(server.sockets[0].getsockname()[1])

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            self._closing = True
            assert self._new_update is not None
            async with self._new_update:
                self._new_update.notify_all()
            if self._runner is not None:
                await self._runner.cleanup()

        future = asyncio.run_coroutine_threadsafe(shutdown(), loop)
        with contextlib.suppress(Exception):
            future.result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=10)
        self._loop = None
        self._thread = None

    def __enter__(self) -> FakeTelegramServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _handle_method(self, request: web.Request) -> web.Response:
        params = await _read_aiohttp_params(request)
        method = request.match_info["method"]
        if method == "getUpdates" and request.match_info["token"] == self.token:
            return await self._long_poll(params)
        status, body = self._answer(request.match_info["token"], method, params)
        return web.json_response(body, status=status)

    async def _handle_download(self, request: web.Request) -> web.Response:
        self._record("download", {"file_path": request.match_info["path"]}, 404)
        return web.Response(status=404, text="Not Found")

    async def _long_poll(self, params: dict[str, Any]) -> web.Response:
        failure = self._take_failure("getUpdates")
        if failure is not None:
            self._record("getUpdates", params, failure["status"])
            return web.json_response(_error_body(failure), status=failure["status"])
        self._record("getUpdates", params, 200)  # on arrival, so a test sees a long poll start
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        assert self._new_update is not None
        while True:
            with self._lock:
                if offset:  # Telegram forgets updates below the offset: they are confirmed
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = self._updates[:limit]
            remaining = deadline - time.monotonic()
            if pending or remaining <= 0 or self._closing:
                return web.json_response({"ok": True, "result": pending})
            async with self._new_update:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), min(remaining, 1.0))

    # ---- serving in process

    def transport(self) -> httpx.MockTransport:
        """An httpx transport answering like the server, for `HTTPXRequest(httpx_kwargs=...)`."""

        def handle(request: httpx.Request) -> httpx.Response:
            parts = request.url.path.split("/")
            if len(parts) > 2 and parts[1] == "file":
                self._record("download", {"file_path": "/".join(parts[3:])}, 404)
                return httpx.Response(404, text="Not Found")
            token, method = parts[-2].removeprefix("bot"), parts[-1]
            status, body = self._answer(token, method, _read_httpx_params(request))
            return httpx.Response(status, json=body)

        return httpx.MockTransport(handle)

    # ---- test controls

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id (assigned if missing)."""
        update = dict(update)
        with self._lock:
            update.setdefault("update_id", next(self._update_ids))
            self._updates.append(update)
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._notify_update(), self._loop)
        return int(update["update_id"])

    async def _notify_update(self) -> None:
        assert self._new_update is not None
        async with self._new_update:
            self._new_update.notify_all()

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` fail with `status`, shaped like Telegram's errors."""
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                400: "Bad Request: chat not found",
                403: "Forbidden: bot was blocked by the user",
                502: "Bad Gateway",
            }.get(status, "Internal Server Error")
        with self._lock:
            for _ in range(times):
                self._failures.setdefault(method, []).append(
                    {"status": status, "retry_after": retry_after, "description": description}
                )

    @property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return [(entry["method"], entry["params"]) for entry in self.call_log]

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def sent_messages(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """Parameters of every sendMessage that succeeded, optionally for one chat."""
        return self._successful("sendMessage", chat_id)

    def sent_documents(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        return self._successful("sendDocument", chat_id)

    def _successful(self, method: str, chat_id: int | str | None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                entry["params"]
                for entry in self.call_log
                if entry["method"] == method
                and entry["status"] == 200
                and (chat_id is None or str(entry["params"].get("chat_id")) == str(chat_id))
            ]

    def mark(self) -> int:
        """The current length of the call log, to wait only for calls made after this point."""
        with self._lock:
            return len(self.call_log)

    def wait_for(
        self,
        predicate: Callable[[str, dict[str, Any]], bool],
        timeout: float = 30.0,
        *,
        start: int = 0,
        successful: bool = False,
    ) -> tuple[str, dict[str, Any]]:
        """Block until a recorded call (from index `start`) matches `predicate(method, params)`
        (answered 200 if `successful`); raise TimeoutError, naming what was called, if none does."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for entry in self.call_log[start:]:
                    if successful and entry["status"] != 200:
                        continue
                    if predicate(entry["method"], entry["params"]):
                        return entry["method"], entry["params"]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [entry["method"] for entry in self.call_log[start:]]
                    raise TimeoutError(f"no matching Bot API call within {timeout}s; saw {seen}")
                self._changed.wait(remaining)

    def wait_for_message(
        self, chat_id: int | str, contains: str | None = None, timeout: float = 30.0, start: int = 0
    ) -> dict[str, Any]:
        """The first successful sendMessage to `chat_id` (containing `contains`, if given)."""

        def match(method: str, params: dict[str, Any]) -> bool:
            return (
                method == "sendMessage"
                and str(params.get("chat_id")) == str(chat_id)
                and (contains is None or contains in str(params.get("text", "")))
            )

        return self.wait_for(match, timeout, start=start, successful=True)[1]

    # ---- the Bot API

    def _record(self, method: str, params: dict[str, Any], status: int) -> None:
        with self._changed:
            self.call_log.append(
                {"method": method, "params": params, "status": status, "at": time.monotonic()}
            )
            self._changed.notify_all()

    def _take_failure(self, method: str) -> dict[str, Any] | None:
        with self._lock:
            queue = self._failures.get(method)
            return queue.pop(0) if queue else None

    def _answer(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) for one Bot API call, recorded."""
        if token != self.token:
            self._record(method, params, 401)
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        failure = self._take_failure(method)
        if failure is not None:
            self._record(method, params, failure["status"])
            return failure["status"], _error_body(failure)
        result = self._result(method, params)
        if result is None:
            self._record(method, params, 404)
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        self._record(method, params, 200)
        return 200, {"ok": True, "result": result}

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {**bot_user(), "can_join_groups": True, "can_read_all_group_messages": False}
        if method in (
            "deleteWebhook",
            "setWebhook",
            "sendChatAction",
            "answerCallbackQuery",
            "setMyCommands",
        ):
            return True
        if method == "getUpdates":  # in process: whatever is queued, at once
            with self._lock:
                return list(self._updates)
        if method == "sendMessage":
            return self._sent(params, text=str(params.get("text", "")))
        if method == "editMessageReplyMarkup":
            return self._sent(params, text="(edited)")
        if method == "sendDocument":
            document = params.get("document")
            name = document.get("filename") if isinstance(document, dict) else "file"
            return self._sent(params, document={**_file("SENTDOC"), "file_name": name})
        return None

    def _sent(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = params.get("chat_id", 0)
        chat_type = "private" if isinstance(chat_id, int) and chat_id > 0 else "group"
        message: dict[str, Any] = {
            "message_id": _next_id(),
            "date": int(time.time()),
            "chat": chat(chat_id if isinstance(chat_id, int) else 0, chat_type),
            "from": bot_user(),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        message.update(content)
        return message


def _error_body(failure: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": failure["status"],
        "description": failure["description"],
    }
    if failure["status"] == 429:
        body["parameters"] = {"retry_after": failure["retry_after"]}
    return body


def _decode(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _OBJECT_PARAMS:
        with contextlib.suppress(ValueError):
            return json.loads(value)
    if name in _INT_PARAMS:
        with contextlib.suppress(ValueError):
            return int(value)
    if name in _BOOL_PARAMS and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return value


async def _read_aiohttp_params(request: web.Request) -> dict[str, Any]:
    """Parameters from the query string and a JSON, form or multipart body, as Telegram reads them."""
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            with contextlib.suppress(ValueError):
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
        elif request.content_type == "multipart/form-data":
            async for part in await request.multipart():
                if part.name is None:
                    continue
                if part.filename:
                    params[part.name] = {
                        "filename": part.filename,
                        "content_type": part.headers.get("Content-Type", ""),
                        "content": bytes(await part.read()),
                    }
                else:
                    params[part.name] = await part.text()
        else:
            form = await request.post()
            params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return {key: _decode(key, value) for key, value in params.items()}


def _read_httpx_params(request: httpx.Request) -> dict[str, Any]:
    """The same for a request that never left the process."""
    params: dict[str, Any] = dict(request.url.params)
    content_type = request.headers.get("content-type", "")
    body = request.read()
    if content_type.startswith("application/json"):
        with contextlib.suppress(ValueError):
            params.update(json.loads(body))
    elif content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if part.get_filename():
                params[name] = {
                    "filename": part.get_filename(),
                    "content_type": part.get_content_type(),
                    "content": part.get_payload(decode=True),
                }
            else:
                params[name] = part.get_payload(decode=True).decode()
    elif body:
        params.update(parse_qsl(body.decode()))
    return {key: _decode(key, value) for key, value in params.items()}
