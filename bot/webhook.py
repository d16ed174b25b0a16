"""Webhook mode: Telegram POSTs updates to us instead of us polling for them.

Needs a public HTTPS address (TELEGRAM_WEBHOOK_URL) that a reverse proxy forwards to
TELEGRAM_WEBHOOK_LISTEN:TELEGRAM_WEBHOOK_PORT. The server is aiohttp (already installed with
Rasa) rather than python-telegram-bot's tornado extra, following PTB's "custom webhook bot"
example: updates go on the application's update queue and the same handlers answer them.

Telegram proves each request is its own with the `X-Telegram-Bot-Api-Secret-Token` header; the
secret is derived from SAFESHARE_SECRET_KEY, so it needs no extra configuration and survives
restarts. Requests without it get 403.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import signal
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from safeshare.settings import Settings

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


def webhook_secret(settings: Settings) -> str:
    digest = hmac.new(settings.secret_key.encode(), b"telegram-webhook", hashlib.sha256)
    return digest.hexdigest()[:48]


def webhook_path(settings: Settings) -> str:
    return urlsplit(settings.telegram_webhook_url).path or "/"


def make_app(application: Application, secret: str, path: str) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            return web.Response(status=403)
        try:
            data = await request.json()
        except (ValueError, json.JSONDecodeError):
            return web.Response(status=400)
        await application.update_queue.put(Update.de_json(data, application.bot))
        return web.Response()

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", health)
    return app


async def serve(application: Application, settings: Settings) -> None:
    from bot.relay import ALLOWED_UPDATES

    if not settings.telegram_webhook_url.startswith("https://"):
        raise SystemExit("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL=https://...")
    secret = webhook_secret(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(make_app(application, secret, webhook_path(settings)), access_log=None)
    async with application:  # initialize() / shutdown(); post_init is ours to call here
        if application.post_init:
            await application.post_init(application)
        await application.bot.set_webhook(
            settings.telegram_webhook_url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
        )
        await application.start()
        await runner.setup()
        await web.TCPSite(runner, settings.telegram_webhook_listen, settings.telegram_webhook_port).start()
        logger.info(
            "webhook listening on %s:%s", settings.telegram_webhook_listen, settings.telegram_webhook_port
        )
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            await application.stop()
            if application.post_shutdown:
                await application.post_shutdown(application)


def run_webhook(application: Application, settings: Settings) -> None:
    asyncio.run(serve(application, settings))
