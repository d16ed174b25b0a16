"""A fake Telegram Bot API server speaking real HTTP on 127.0.0.1.

Why: the relay and the staff console's delivery must be tested through their real HTTP clients
(python-telegram-bot, httpx) without reaching Telegram. The server runs aiohttp in a background
thread with its own event loop, so sync tests, async tests and subprocesses can all use it.

Usage:

    from tests.fakes.telegram_api import FakeTelegramServer, text_update

    with FakeTelegramServer(token="123456:TEST") as tg:
        # point the bot at it: ApplicationBuilder().token(tg.token).base_url(tg.base_url)
        #   .base_file_url(tg.base_file_url), or TELEGRAM_API_URL=tg.base_url for `python -m bot`
        tg.push_update(text_update(42, "what is a deepfake?"))
        method, params = tg.wait_for(lambda m, p: m == "sendMessage", timeout=30)
        assert "deepfake" in params["text"]
        tg.fail_next("sendMessage", status=429, retry_after=1)   # Too Many Requests once
        tg.fail_next("sendMessage", status=502)                  # Bad Gateway once
        tg.fail_next("sendMessage", status=403,
                     description="Forbidden: bot was blocked by the user")

Recorded: `calls` is a list of (method, params) for every request, including failed ones and
file downloads (method "download"); `call_log` has the same with the HTTP status and a
monotonic timestamp (to check that a retry waited `retry_after`). Parameters are decoded from
JSON, form or multipart bodies: `chat_id`, `message_id`, ... become ints when numeric,
`reply_markup` and other object parameters become dicts; a multipart file becomes
{"filename", "content_type", "content": bytes}.

Methods: getMe, logOut, close, deleteWebhook, setWebhook, getWebhookInfo, getUpdates (long
polling with offset/timeout/limit), sendMessage, sendDocument, sendPhoto, answerCallbackQuery,
editMessageReplyMarkup, editMessageText, deleteMessage, sendChatAction, setMyCommands,
getMyCommands, deleteMyCommands, setMyDescription, setMyShortDescription, getFile, and file
downloads under `base_file_url`. Any other method answers 404 like Telegram does.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

BOT_ID = 7_000_000_001
BOT_USERNAME = "SafeShareTestBot"
BOT_NAME = "SafeShare HK (test)"

# Parameters Telegram takes as JSON-serialised objects in form and multipart bodies.
_OBJECT_PARAMS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "scope",
    "entities",
    "caption_entities",
    "link_preview_options",
    "reply_parameters",
    "media",
}
_INT_PARAMS = {
    "chat_id",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "reply_to_message_id",
    "message_thread_id",
    "cache_time",
    "max_connections",
}
_BOOL_PARAMS = {
    "disable_web_page_preview",
    "disable_notification",
    "protect_content",
    "show_alert",
    "drop_pending_updates",
    "allow_sending_without_reply",
}

_ids = itertools.count(1000)


def _next_id() -> int:
    return next(_ids)


# --------------------------------------------------------------------------- update builders


def user(
    user_id: int, first_name: str = "Parent", language_code: str | None = "en", username: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        out["language_code"] = language_code
    if username:
        out["username"] = username
    return out


def chat(chat_id: int, chat_type: str = "private", title: str = "School parents") -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": "Parent"}
    return {"id": chat_id, "type": chat_type, "title": title}


def bot_user() -> dict[str, Any]:
    return {"id": BOT_ID, "is_bot": True, "first_name": BOT_NAME, "username": BOT_USERNAME}


def _entities(text: str) -> list[dict[str, Any]]:
    """What Telegram's clients attach: a bot_command at the start, @mentions anywhere."""
    entities: list[dict[str, Any]] = []
    if text.startswith("/"):
        length = len(text.split()[0]) if text.split() else 1
        entities.append({"type": "bot_command", "offset": 0, "length": length})
    start = 0
    while True:
        index = text.find("@", start)
        if index < 0:
            break
        end = index + 1
        while end < len(text) and (text[end].isalnum() or text[end] == "_"):
            end += 1
        inside_command = (
            bool(entities) and entities[0]["type"] == "bot_command" and (index < entities[0]["length"])
        )
        if end - index > 1 and not inside_command:
            entities.append({"type": "mention", "offset": index, "length": end - index})
        start = end
    # Telegram counts offsets in UTF-16 code units; the builders only use BMP text in tests.
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
        "from": user(from_id if from_id is not None else abs(chat_id), language_code=language_code),
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


def text_update(
    chat_id: int,
    text: str,
    *,
    chat_type: str = "private",
    from_id: int | None = None,
    language_code: str | None = "en",
    reply_to_bot: bool = False,
    message_id: int | None = None,
) -> dict[str, Any]:
    """A text message; commands and @mentions get the entities real clients send."""
    message = _message(
        chat_id,
        chat_type=chat_type,
        from_id=from_id,
        language_code=language_code,
        reply_to_bot=reply_to_bot,
        message_id=message_id,
        text=text,
    )
    entities = _entities(text)
    if entities:
        message["entities"] = entities
    return {"message": message}


def group_text_update(chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
    """A text message in a group (chat ids of groups are negative on Telegram)."""
    kwargs.setdefault("from_id", 5550001)
    return text_update(-abs(chat_id), text, chat_type="group", **kwargs)


def supergroup_text_update(chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("from_id", 5550001)
    return text_update(-abs(chat_id), text, chat_type="supergroup", **kwargs)


def edited_update(
    chat_id: int,
    text: str,
    *,
    message_id: int | None = None,
    chat_type: str = "private",
    from_id: int | None = None,
    language_code: str | None = "en",
) -> dict[str, Any]:
    message = text_update(
        chat_id,
        text,
        chat_type=chat_type,
        from_id=from_id,
        language_code=language_code,
        message_id=message_id,
    )["message"]
    message["edit_date"] = int(time.time())
    return {"edited_message": message}


def callback_update(
    chat_id: int,
    data: str,
    *,
    message_id: int | None = None,
    from_id: int | None = None,
    chat_type: str = "private",
    language_code: str | None = "en",
    message_text: str = "(the bot's message with buttons)",
    reply_markup: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A press on an inline button of one of the bot's messages."""
    message: dict[str, Any] = {
        "message_id": message_id or _next_id(),
        "date": int(time.time()) - 1,
        "chat": chat(chat_id, chat_type),
        "from": bot_user(),
        "text": message_text,
    }
    if reply_markup:
        message["reply_markup"] = reply_markup
    return {
        "callback_query": {
            "id": str(_next_id()),
            "from": user(from_id if from_id is not None else abs(chat_id), language_code=language_code),
            "message": message,
            "chat_instance": str(abs(chat_id) * 7),
            "data": data,
        }
    }


def photo_update(chat_id: int, *, caption: str | None = None, **kwargs: Any) -> dict[str, Any]:
    photo = [
        {
            "file_id": f"PHOTO-SMALL-{_next_id()}",
            "file_unique_id": "ps1",
            "width": 90,
            "height": 90,
            "file_size": 1200,
        },
        {
            "file_id": f"PHOTO-LARGE-{_next_id()}",
            "file_unique_id": "pl1",
            "width": 1280,
            "height": 960,
            "file_size": 180000,
        },
    ]
    content: dict[str, Any] = {"photo": photo}
    if caption is not None:
        content["caption"] = caption
        entities = _entities(caption)
        if entities:
            content["caption_entities"] = entities
    return {"message": _message(chat_id, **kwargs, **content)}


def sticker_update(chat_id: int, **kwargs: Any) -> dict[str, Any]:
    sticker = {
        "file_id": f"STICKER-{_next_id()}",
        "file_unique_id": "st1",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
        "emoji": "👍",
    }
    return {"message": _message(chat_id, sticker=sticker, **kwargs)}


def voice_update(chat_id: int, **kwargs: Any) -> dict[str, Any]:
    voice = {
        "file_id": f"VOICE-{_next_id()}",
        "file_unique_id": "vo1",
        "duration": 4,
        "mime_type": "audio/ogg",
        "file_size": 9000,
    }
    return {"message": _message(chat_id, voice=voice, **kwargs)}


def video_update(chat_id: int, **kwargs: Any) -> dict[str, Any]:
    video = {
        "file_id": f"VIDEO-{_next_id()}",
        "file_unique_id": "vi1",
        "width": 640,
        "height": 480,
        "duration": 7,
        "mime_type": "video/mp4",
        "file_size": 300000,
    }
    return {"message": _message(chat_id, video=video, **kwargs)}


def document_update(chat_id: int, filename: str = "photo_of_child.jpg", **kwargs: Any) -> dict[str, Any]:
    document = {
        "file_id": f"DOC-{_next_id()}",
        "file_unique_id": "do1",
        "file_name": filename,
        "mime_type": "image/jpeg",
        "file_size": 50000,
    }
    return {"message": _message(chat_id, document=document, **kwargs)}


def location_update(chat_id: int, **kwargs: Any) -> dict[str, Any]:
    return {"message": _message(chat_id, location={"latitude": 22.28, "longitude": 114.16}, **kwargs)}


def group_photo_update(chat_id: int, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("from_id", 5550001)
    return photo_update(-abs(chat_id), chat_type="group", **kwargs)


# --------------------------------------------------------------------------- the server


class FakeTelegramServer:
    """A Bot API server on 127.0.0.1:<free port>; see the module docstring."""

    def __init__(self, token: str = "123456:TEST", *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.call_log: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
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

    # ---- lifecycle

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

    def sent_messages(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """Parameters of every sendMessage that succeeded, optionally for one chat."""
        return self._successful("sendMessage", chat_id)

    def sent_documents(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        return self._successful("sendDocument", chat_id)

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    def _successful(self, method: str, chat_id: int | str | None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                entry["params"]
                for entry in self.call_log
                if entry["method"] == method
                and entry["status"] == 200
                and (chat_id is None or str(entry["params"].get("chat_id")) == str(chat_id))
            ]

    def wait_for(
        self,
        predicate: Callable[..., bool],
        timeout: float = 30.0,
        *,
        start: int = 0,
        successful: bool = False,
    ) -> tuple[str, dict[str, Any]]:
        """Block until a recorded call (from index `start`) matches; raise TimeoutError if not.

        `predicate(method, params)`; a one-argument predicate gets the (method, params) tuple.
        `successful=True` only matches calls the server answered with 200.
        """
        predicate = _two_arguments(predicate)
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

    async def wait_for_async(
        self, predicate: Callable[..., bool], timeout: float = 30.0, **kwargs: Any
    ) -> tuple[str, dict[str, Any]]:
        """`wait_for` for async tests (runs in a worker thread so the test's loop keeps going)."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout, **kwargs)

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

    def mark(self) -> int:
        """The current length of the call log, to wait only for calls made after this point."""
        with self._lock:
            return len(self.call_log)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.call_log.clear()
            self._failures.clear()

    # ---- HTTP

    def _record(self, method: str, params: dict[str, Any], status: int) -> None:
        with self._changed:
            self.calls.append((method, params))
            self.call_log.append(
                {"method": method, "params": params, "status": status, "at": time.monotonic()}
            )
            self._changed.notify_all()

    def _take_failure(self, method: str) -> dict[str, Any] | None:
        with self._lock:
            queue = self._failures.get(method)
            return queue.pop(0) if queue else None

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        if request.match_info["token"] != self.token:
            self._record(method, params, 401)
            return _error(401, "Unauthorized")
        failure = self._take_failure(method)
        if failure is not None:
            self._record(method, params, failure["status"])
            extra = None
            if failure["status"] == 429:
                extra = {"retry_after": failure["retry_after"]}
            return _error(failure["status"], failure["description"], extra)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            self._record(method, params, 404)
            return _error(404, "Not Found")
        self._record(method, params, 200)  # on arrival, so a test sees a long poll start
        result = await handler(params)
        return web.json_response({"ok": True, "result": result})

    async def _handle_download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        ok = request.match_info["token"] == self.token and path in self.files
        self._record("download", {"file_path": path}, 200 if ok else 404)
        if not ok:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=self.files[path])

    # ---- Bot API methods

    async def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_logout(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_close(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        assert self._new_update is not None
        while True:
            with self._lock:
                if offset:
                    # Telegram forgets updates below the offset: they are confirmed.
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = self._updates[:limit]
            remaining = deadline - time.monotonic()
            if pending or remaining <= 0 or self._closing:
                return pending
            async with self._new_update:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), min(remaining, 1.0))

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

    async def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._sent(params, text=str(params.get("text", "")))

    async def _m_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        document = params.get("document")
        name = document.get("filename") if isinstance(document, dict) else "file"
        content = {
            "document": {"file_id": f"SENTDOC-{_next_id()}", "file_unique_id": "sd1", "file_name": name}
        }
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._sent(params, **content)

    async def _m_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._sent(
            params,
            photo=[{"file_id": f"SENTPH-{_next_id()}", "file_unique_id": "sp1", "width": 1, "height": 1}],
        )

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._sent(params, text="(edited)")

    async def _m_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._sent(params, text=str(params.get("text", "")))

    async def _m_deletemessage(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_sendchataction(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_setmycommands(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_getmycommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        for method, earlier in reversed(self.calls):
            if method == "setMyCommands":
                return list(earlier.get("commands") or [])
        return []

    async def _m_deletemycommands(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_setmydescription(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_setmyshortdescription(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id", ""))
        path = f"files/{file_id}.bin"
        self.files.setdefault(path, b"fake file content")
        return {"file_id": file_id, "file_unique_id": file_id[-8:], "file_size": 17, "file_path": path}


def _two_arguments(predicate: Callable[..., bool]) -> Callable[[str, dict[str, Any]], bool]:
    try:
        parameters = inspect.signature(predicate).parameters.values()
    except (TypeError, ValueError):
        return predicate
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) == 1 and not any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return lambda method, params: predicate((method, params))
    return predicate


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


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


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Parameters from the query string and a JSON, form or multipart body, as Telegram reads
    them."""
    params: dict[str, Any] = dict(request.query)
    content_type = request.content_type
    if request.can_read_body:
        if content_type == "application/json":
            with contextlib.suppress(ValueError):
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
        elif content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
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
