"""The Telegram relay: parents chat with SafeShare HK on Telegram; Rasa does the talking.

Usage:

    TELEGRAM_BOT_TOKEN=123456:ABC python -m bot      # long polling: no public address needed
    TELEGRAM_MODE=webhook TELEGRAM_WEBHOOK_URL=https://example.org/telegram python -m bot

Webhook mode is python-telegram-bot's own (`Application.run_webhook`, its `webhooks` extra): it
listens on TELEGRAM_WEBHOOK_LISTEN:TELEGRAM_WEBHOOK_PORT behind a reverse proxy that terminates
HTTPS, registers TELEGRAM_WEBHOOK_URL with Telegram, and refuses (403) any request without the
secret token derived from SAFESHARE_SECRET_KEY (`webhook_secret`).

(`make run` / `python -m safeshare run` starts it when TELEGRAM_BOT_TOKEN is set.)

Each text message goes to Rasa's REST channel under a pseudonymous sender ("tg-" + an HMAC of
the chat id) with metadata {"channel": "telegram", "reply_to": chat id}; Rasa's replies come back
as text (split under 4096 characters), inline keyboards and documents. Commands: /start, /help,
/lang, /human, /status SS-XXXXX, /forget.

What the relay does not do, on purpose:
- Photos, stickers, voice notes, videos, files and locations get a kind "text only" reply in the
  chat's language. Nothing of them (not even a caption) is downloaded, stored or sent to Rasa.
- In groups it answers only when addressed: a command, an @mention of the bot, or a reply to one
  of its messages. Everything else in a group is ignored.
- An edited message is answered as a new message: people edit to fix the question they meant,
  and an answer to the corrected question is what they expect.
- Messages longer than MAX_INPUT characters are cut to that length before Rasa sees them, and
  the user is told.
- It never logs message text or the token; chats appear in logs as a short pseudonymous key.
- It never crashes on a failure: Rasa down, a 5xx, a timeout or an empty reply gets an apology
  (`utter_error`), Telegram's rate limits and network errors are retried (bounded), and polling
  goes on.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from urllib.parse import urlsplit

import httpx
from telegram import (
    BotCommand,
    BotCommandScopeDefault,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import logs, texts
from bot.memory import ChatLanguages, ChatLocks
from bot.rasa_client import RasaClient
from bot.rendering import (
    CHOSEN,
    CallbackPayloads,
    DocumentMessage,
    Outgoing,
    TextMessage,
    chosen_keyboard,
    chosen_title,
    from_rasa,
    keyboard,
)
from safeshare.botapi import file_url, with_retry
from safeshare.errors import ChannelUnreachable
from safeshare.settings import Settings, get_settings

logger = logging.getLogger(__name__)

MAX_INPUT = 2000  # characters of one user message passed to Rasa
MAX_DOCUMENT = 10 * 1024 * 1024  # bytes of a document fetched to send on
RASA_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
COMMAND_PAYLOADS = {"help": "/help", "human": "/human_handoff", "forget": "/forget_my_data"}
SET_LANGUAGE = re.compile(r'^/set_language\{\s*"language_choice"\s*:\s*"(en|zh)"\s*\}$')
# Updates that carry something other than text: refused kindly, never read.
MEDIA = (
    filters.ATTACHMENT
    | filters.PHOTO
    | filters.Sticker.ALL
    | filters.VOICE
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.AUDIO
    | filters.ANIMATION
    | filters.Document.ALL
    | filters.LOCATION
    | filters.VENUE
    | filters.CONTACT
    | filters.POLL
    | filters.Dice.ALL
    | filters.GAME
    | filters.STORY
)
PRIVATE_OR_GROUP = filters.ChatType.PRIVATE | filters.ChatType.GROUPS
MESSAGES = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE


def with_language_hint(payload: str, language: str | None) -> str:
    """`/help` → `/help{"language":"zh"}`: tells Rasa which language the chat seems to use (the
    `language` slot, which a later message in the other language overrides)."""
    if language is None or "{" in payload:
        return payload
    return payload + '{"language":"%s"}' % language  # noqa: UP031 - JSON braces


class Relay:
    """The handlers, and the state they share (Rasa client, chat languages, button keys)."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        """`transport`: how the relay's HTTP client (Rasa, documents) reaches the network; the
        tests give it one that plays Rasa."""
        self.settings = settings
        self.payloads = CallbackPayloads()
        self.languages = ChatLanguages()
        self.locks = ChatLocks()
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._rasa: RasaClient | None = None

    # ---- lifecycle

    async def post_init(self, application: Application) -> None:
        self._http = httpx.AsyncClient(timeout=RASA_TIMEOUT, transport=self._transport)
        self._rasa = RasaClient(self._http, self.settings.rasa_url)
        await self._set_commands(application)
        logger.info("relay ready as @%s; Rasa at %s", application.bot.username, self.settings.rasa_url)

    async def post_shutdown(self, application: Application) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def _set_commands(self, application: Application) -> None:
        """The command menu in both languages (`utter_telegram_commands`)."""
        try:
            for language_code, language in ((None, "en"), ("zh", "zh")):
                commands = [BotCommand(c, d) for c, d in texts.commands(language)]
                await application.bot.set_my_commands(
                    commands, scope=BotCommandScopeDefault(), language_code=language_code
                )
        except TelegramError as exc:
            logger.warning("could not set the command menu: %s", type(exc).__name__)

    @property
    def rasa(self) -> RasaClient:
        if self._rasa is None:
            raise RuntimeError("the relay is not initialised (post_init has not run)")
        return self._rasa

    # ---- commands

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Privacy notice with the language choice, then Rasa's greeting and menu."""
        chat_id, language = self._chat(update)
        if chat_id is None:
            return
        hint = self._hint(update)
        async with self.locks.hold(chat_id):
            notice = texts.say(texts.PRIVACY_NOTICE, language)
            await self._deliver_replies(
                context, chat_id, [{"text": notice, "buttons": texts.language_buttons(language)}], language
            )
            await self._converse(context, chat_id, with_language_hint("/greet", hint), language)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._command(update, context, "help")

    async def human(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._command(update, context, "human")

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Rasa asks to confirm and erases what is stored; the relay forgets what it remembers of
        the chat (its language) at once. Its own words fall back to the Telegram app's language."""
        await self._command(update, context, "forget")
        if update.effective_chat is not None:
            self.languages.forget(update.effective_chat.id)

    async def lang(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, language = self._chat(update)
        if chat_id is None:
            return
        prompt = texts.say(texts.LANGUAGE_PROMPT, language)
        async with self.locks.hold(chat_id):
            await self._deliver_replies(
                context,
                chat_id,
                [{"text": prompt, "buttons": texts.language_buttons(language)}],
                language,
            )

    async def status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, language = self._chat(update)
        if chat_id is None:
            return
        reference = (context.args or [""])[0].strip().upper()[:20]
        message = f"status {reference}" if reference else "/check_status"
        async with self.locks.hold(chat_id):
            await self._converse(context, chat_id, message, language)

    async def _command(self, update: Update, context: ContextTypes.DEFAULT_TYPE, command: str) -> None:
        chat_id, language = self._chat(update)
        if chat_id is None:
            return
        payload = with_language_hint(COMMAND_PAYLOADS[command], self._hint(update))
        async with self.locks.hold(chat_id):
            await self._converse(context, chat_id, payload, language)

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command we do not have: in a private chat, show the menu; in a group, it may be
        another bot's, so stay quiet."""
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            return
        await self._command(update, context, "help")

    # ---- messages

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None or message.text is None:
            return
        text = message.text
        if chat.type != ChatType.PRIVATE:
            if not self._addressed(message, context):
                return
            text = self._without_mention(text, context)
        text = text.strip()
        self.languages.observe(chat.id, text[:MAX_INPUT])
        _, language = self._chat(update)
        async with self.locks.hold(chat.id):
            if not text:
                await self._say(context, chat.id, "utter_empty_message", language)
                return
            if len(text) > MAX_INPUT:
                text = text[:MAX_INPUT]
                await self._say(context, chat.id, "utter_message_too_long", language, limit=MAX_INPUT)
            await self._converse(context, chat.id, text, language)

    async def media(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Anything that is not text: say so kindly. The content itself is never touched."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return
        if chat.type != ChatType.PRIVATE and not self._addressed(message, context):
            return
        _, language = self._chat(update)
        logger.info("refused a non-text message in chat %s", logs.chat_key(chat.id))
        async with self.locks.hold(chat.id):
            await self._say(context, chat.id, "utter_cannot_read_media", language)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button press: acknowledge it, mark the chosen option, send its payload to Rasa."""
        query = update.callback_query
        if query is None:
            return
        data = query.data or ""
        try:
            await query.answer()
        except TelegramError as exc:
            logger.info("could not answer a callback query: %s", type(exc).__name__)
        message = query.message
        if message is None or data == CHOSEN:
            return
        chat_id = message.chat.id
        markup = getattr(message, "reply_markup", None)
        title = chosen_title(markup, data)
        if title is not None:
            try:
                await with_retry(lambda: query.edit_message_reply_markup(chosen_keyboard(title)))
            except TelegramError as exc:
                logger.info("could not mark the chosen button: %s", type(exc).__name__)
        # An unknown key is a button from before a restart: show the menu instead.
        payload = self.payloads.decode(data) or "/help"
        chosen = SET_LANGUAGE.match(payload)
        if chosen:
            self.languages.choose(chat_id, chosen.group(1))
        _, language = self._chat(update)
        async with self.locks.hold(chat_id):
            await self._converse(context, chat_id, payload, language)

    # ---- errors

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Last resort: log what failed (never the text) and keep going."""
        chat = update.effective_chat if isinstance(update, Update) else None
        key = logs.chat_key(chat.id) if chat is not None else "-"
        logger.error("unhandled %s for chat %s", type(context.error).__name__, key, exc_info=context.error)

    # ---- helpers

    def _chat(self, update: Update) -> tuple[int | None, str]:
        chat = update.effective_chat
        user = update.effective_user
        if chat is None:
            return None, "en"
        return chat.id, self.languages.language(chat.id, user.language_code if user else None)

    def _hint(self, update: Update) -> str | None:
        chat = update.effective_chat
        user = update.effective_user
        if chat is None:
            return None
        return self.languages.hint(chat.id, user.language_code if user else None)

    @staticmethod
    def _addressed(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """In a group: a reply to one of our messages, or an @mention of us."""
        bot = context.bot
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and reply.from_user.id == bot.id:
            return True
        kinds = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
        found = message.parse_entities(kinds) if message.text else message.parse_caption_entities(kinds)
        name = f"@{bot.username}".lower()
        for entity, value in found.items():
            if entity.type == MessageEntity.MENTION and value.lower() == name:
                return True
            if entity.type == MessageEntity.TEXT_MENTION and entity.user and (entity.user.id == bot.id):
                return True
        return False

    @staticmethod
    def _without_mention(text: str, context: ContextTypes.DEFAULT_TYPE) -> str:
        return re.sub(re.escape(f"@{context.bot.username}"), " ", text, flags=re.IGNORECASE)

    async def _say(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, name: str, language: str, **values: object
    ) -> None:
        """One of the relay's own messages (a response of the assistant, in the chat's language)."""
        await self._deliver_replies(
            context, chat_id, [{"text": texts.say(name, language, **values)}], language
        )

    async def _converse(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, message: str, language: str
    ) -> None:
        """Send one message to Rasa and deliver its replies; apologise when Rasa cannot answer."""
        try:
            await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError:
            pass  # only a courtesy
        try:
            replies = await self.rasa.send(chat_id, message)
        except ChannelUnreachable as exc:
            logger.warning("no answer from Rasa for chat %s: %s", logs.chat_key(chat_id), exc)
            replies = []
        if not from_rasa(replies):
            await self._say(context, chat_id, "utter_error", language)
            return
        await self._deliver_replies(context, chat_id, replies, language)

    async def _deliver_replies(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, replies: list[dict], language: str
    ) -> None:
        try:
            for item in from_rasa(replies):
                await self._deliver(context, chat_id, item)
        except Forbidden:
            logger.info("chat %s blocked the bot or left; reply dropped", logs.chat_key(chat_id))
        except TelegramError as exc:
            logger.warning("could not reply in chat %s: %s", logs.chat_key(chat_id), type(exc).__name__)

    async def _deliver(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, item: Outgoing) -> None:
        bot = context.bot
        if isinstance(item, TextMessage):
            markup = keyboard(item.buttons, self.payloads)
            await with_retry(lambda: bot.send_message(chat_id, item.text, reply_markup=markup))
            return
        content = await self._fetch(item)
        if content is None:
            await with_retry(lambda: bot.send_message(chat_id, item.url))
            return
        await with_retry(lambda: bot.send_document(chat_id, document=content, filename=item.filename))

    async def _fetch(self, item: DocumentMessage) -> bytes | None:
        """The document's bytes, or None (then its link is sent instead)."""
        if self._http is None or not item.url.startswith(("http://", "https://")):
            return None
        try:
            async with self._http.stream("GET", item.url, timeout=20.0) as response:
                if response.status_code != 200:
                    logger.warning("document fetch failed: HTTP %s", response.status_code)
                    return None
                content = b""
                async for chunk in response.aiter_bytes():
                    content += chunk
                    if len(content) > MAX_DOCUMENT:
                        logger.warning("document larger than %s bytes: sending its link", MAX_DOCUMENT)
                        return None
                return content
        except httpx.HTTPError as exc:
            logger.warning("document fetch failed: %s", type(exc).__name__)
            return None


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram sends with every webhook request (X-Telegram-Bot-Api-Secret-Token;
    python-telegram-bot answers 403 without it). Derived from SAFESHARE_SECRET_KEY, so it needs
    no configuration of its own and survives restarts."""
    digest = hmac.new(settings.secret_key.encode(), b"telegram-webhook", hashlib.sha256)
    return digest.hexdigest()[:48]


def build_application(
    settings: Settings,
    *,
    relay: Relay | None = None,
    requests: tuple[BaseRequest, BaseRequest] | None = None,
) -> tuple[Application, Relay]:
    """The application with the relay's handlers. `requests` (for Bot API calls, for getUpdates)
    replace python-telegram-bot's own HTTP requests: the tests pass ones that never leave the
    process."""
    relay = relay or Relay(settings)
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_url)
        .base_file_url(file_url(settings.telegram_api_url))
        .defaults(Defaults(link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .concurrent_updates(True)
        .job_queue(None)
        .post_init(relay.post_init)
        .post_shutdown(relay.post_shutdown)
    )
    if requests is not None:
        builder = builder.request(requests[0]).get_updates_request(requests[1])
    application = builder.build()
    for name in ("start", "help", "lang", "human", "status", "forget"):
        application.add_handler(CommandHandler(name, getattr(relay, name), PRIVATE_OR_GROUP))
    application.add_handler(
        MessageHandler(filters.COMMAND & PRIVATE_OR_GROUP & MESSAGES, relay.unknown_command)
    )
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & PRIVATE_OR_GROUP & MESSAGES, relay.text)
    )
    application.add_handler(MessageHandler(MEDIA & PRIVATE_OR_GROUP & MESSAGES, relay.media))
    application.add_handler(CallbackQueryHandler(relay.button))
    application.add_error_handler(relay.error)
    return application, relay


def main() -> None:
    settings = get_settings()
    logs.configure(settings.log_level, settings.telegram_bot_token)
    if not settings.telegram_bot_token:
        raise SystemExit("TELEGRAM_BOT_TOKEN is not set: nothing to relay (see README)")
    application, _ = build_application(settings)
    if settings.telegram_mode == "webhook":
        if not settings.telegram_webhook_url.startswith("https://"):
            raise SystemExit("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL=https://...")
        application.run_webhook(
            listen=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
            url_path=urlsplit(settings.telegram_webhook_url).path,
            webhook_url=settings.telegram_webhook_url,
            secret_token=webhook_secret(settings),
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=5,
        )
    else:
        application.run_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=5)
