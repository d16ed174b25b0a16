"""Where staff notifications go: email (SMTP) and a staff Telegram chat (Bot API sendMessage).

Each channel sends one message or raises `NotificationError` with a reason safe to store and show
on the dashboard: never the SMTP password or the bot token. One attempt per call; retrying is the
outbox's business (safeshare.notify.outbox), so a slow server holds up one pass, not a user.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

import httpx

from safeshare.errors import NotificationError
from safeshare.settings import Settings

EMAIL = "email"
TELEGRAM = "telegram"
TIMEOUT = 20.0
TELEGRAM_LIMIT = 4096


class Channel(Protocol):
    name: str

    def send(self, subject: str, body: str) -> None: ...


@dataclass(frozen=True)
class EmailChannel:
    settings: Settings
    name: str = EMAIL

    def send(self, subject: str, body: str) -> None:
        settings = self.settings
        message = EmailMessage()
        message["From"] = settings.notify_email_from or f"SafeShare HK <safeshare@{settings.smtp_host}>"
        message["To"] = ", ".join(settings.notify_email_to)
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="safeshare.local")
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        try:
            if settings.smtp_security == "ssl":
                context = ssl.create_default_context()
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.smtp_host, settings.smtp_port, timeout=TIMEOUT, context=context
                )
            else:
                client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT)
            with client:
                if settings.smtp_security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if settings.smtp_username:
                    client.login(settings.smtp_username, settings.smtp_password)
                refused = client.send_message(message)
        except smtplib.SMTPResponseException as error:
            raise NotificationError(
                f"mail server refused: {error.smtp_code} {_text(error.smtp_error)}"
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            raise NotificationError(f"mail server unreachable or failed ({type(error).__name__})") from None
        if refused:
            raise NotificationError(f"mail server refused {len(refused)} of the recipients")


@dataclass(frozen=True)
class TelegramChannel:
    settings: Settings
    name: str = TELEGRAM

    def send(self, subject: str, body: str) -> None:
        settings = self.settings
        url = f"{settings.telegram_api_url}{settings.telegram_bot_token}/sendMessage"
        payload = {
            "chat_id": settings.notify_telegram_chat_id,
            "text": body[: TELEGRAM_LIMIT - 1],
            "link_preview_options": {"is_disabled": True},
        }
        try:
            response = httpx.post(url, json=payload, timeout=TIMEOUT)
        except httpx.HTTPError as error:
            raise NotificationError(f"Telegram Bot API unreachable ({type(error).__name__})") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code == 200 and isinstance(answer, dict) and answer.get("ok"):
            return
        description = answer.get("description") if isinstance(answer, dict) else None
        raise NotificationError(f"Telegram refused: {description or f'HTTP {response.status_code}'}")


def _text(value: bytes | str) -> str:
    return (value.decode(errors="replace") if isinstance(value, bytes) else value)[:300]


def configured_channels(settings: Settings) -> list[Channel]:
    channels: list[Channel] = []
    if settings.smtp_host and settings.notify_email_to:
        channels.append(EmailChannel(settings))
    if settings.notify_telegram_chat_id and settings.telegram_bot_token:
        channels.append(TelegramChannel(settings))
    return channels


def describe(settings: Settings) -> str:
    """One line for start-up logs and the dashboard: where notifications go, or why they are off."""
    parts = []
    if settings.smtp_host and settings.notify_email_to:
        count = len(settings.notify_email_to)
        parts.append(f"email to {count} address{'es' if count > 1 else ''} via {settings.smtp_host}")
    if settings.notify_telegram_chat_id and settings.telegram_bot_token:
        parts.append("the staff Telegram chat")
    if not parts:
        return (
            "off (set SMTP_HOST and SAFESHARE_NOTIFY_EMAIL_TO, or SAFESHARE_NOTIFY_TELEGRAM_CHAT_ID "
            "with TELEGRAM_BOT_TOKEN; see .env.example)"
        )
    digest = (
        "no daily digest" if settings.digest_time == "off" else f"digest daily at {settings.digest_time} HKT"
    )
    return " and ".join(parts) + f"; {digest}"
