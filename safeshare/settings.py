"""One settings object, read once from the environment.

Every variable is listed, with a one-line comment, in `.env.example`; `tests/test_settings.py`
checks that the two agree. Defaults are the embedded single-machine set-up (SQLite files under
`var/`, an in-process lock store); the scaled set-up only changes environment variables.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def _persistent_secret(var_dir: Path, name: str) -> str:
    """A random secret kept in `var/` (mode 0600), so a fresh checkout needs no configuration.

    Production sets the environment variable instead; the file is never committed (`var/` is
    ignored by git).
    """
    path = var_dir / name
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    return value


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database_url: str
    tracker_db_url: str
    redis_url: str
    secret_key: str
    rasa_url: str
    rasa_public_url: str
    rasa_token: str
    action_endpoint_url: str
    web_host: str
    web_port: int
    public_url: str
    cookie_secure: bool
    console_idle_minutes: int
    trusted_proxies: int
    telegram_bot_token: str
    telegram_api_url: str
    telegram_mode: str
    telegram_webhook_url: str
    telegram_webhook_listen: str
    telegram_webhook_port: int
    retention_days: int
    staff_reply_days: int
    staff_reply_days_high: int
    staff_reply_days_urgent: int
    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_username: str
    smtp_password: str
    notify_email_from: str
    notify_email_to: tuple[str, ...]
    notify_telegram_chat_id: str
    digest_time: str
    notify_interval: float
    log_level: str

    @property
    def spool_dir(self) -> Path:
        return self.var_dir / "spool"

    def public_dict(self) -> dict[str, str]:
        """Settings safe to print: secrets and tokens are masked."""
        hidden = {"secret_key", "rasa_token", "telegram_bot_token", "smtp_password"}
        out: dict[str, str] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            out[field.name] = "***" if field.name in hidden and value else str(value)
        return out


def load_settings() -> Settings:
    var_dir = Path(_env("SAFESHARE_VAR_DIR", str(PROJECT_ROOT / "var"))).resolve()
    database_url = _env("DATABASE_URL", f"sqlite:///{var_dir / 'safeshare.db'}")
    web_port = int(_env("SAFESHARE_WEB_PORT", "8000"))
    public_url = _env("SAFESHARE_PUBLIC_URL", f"http://127.0.0.1:{web_port}").rstrip("/")
    local = public_url.startswith(("http://127.0.0.1", "http://localhost"))
    rasa_url = _env("RASA_URL", "http://127.0.0.1:5005").rstrip("/")
    return Settings(
        var_dir=var_dir,
        database_url=database_url,
        tracker_db_url=_env("TRACKER_DB_URL", f"sqlite:///{var_dir / 'tracker.db'}"),
        redis_url=_env("REDIS_URL", ""),
        secret_key=os.environ.get("SAFESHARE_SECRET_KEY", "").strip()
        or _persistent_secret(var_dir, "secret_key"),
        rasa_url=rasa_url,
        rasa_public_url=_env("RASA_PUBLIC_URL", rasa_url).rstrip("/"),
        rasa_token=os.environ.get("RASA_TOKEN", "").strip() or _persistent_secret(var_dir, "rasa_token"),
        action_endpoint_url=_env("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook"),
        web_host=_env("SAFESHARE_WEB_HOST", "127.0.0.1"),
        web_port=web_port,
        public_url=public_url,
        cookie_secure=_env_bool("SAFESHARE_COOKIE_SECURE", not local),
        console_idle_minutes=int(_env("SAFESHARE_CONSOLE_IDLE_MINUTES", "30")),
        trusted_proxies=int(_env("SAFESHARE_TRUSTED_PROXIES", "0")),
        telegram_bot_token=os.environ.get("TELEGRAM_BOT_TOKEN", "").strip(),
        telegram_api_url=_env("TELEGRAM_API_URL", "https://api.telegram.org/bot").rstrip("/"),
        telegram_mode=_env("TELEGRAM_MODE", "polling"),
        telegram_webhook_url=_env("TELEGRAM_WEBHOOK_URL", ""),
        telegram_webhook_listen=_env("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1"),
        telegram_webhook_port=int(_env("TELEGRAM_WEBHOOK_PORT", "8443")),
        retention_days=int(_env("SAFESHARE_RETENTION_DAYS", "180")),
        staff_reply_days=int(_env("SAFESHARE_STAFF_REPLY_DAYS", "2")),
        staff_reply_days_high=int(_env("SAFESHARE_STAFF_REPLY_DAYS_HIGH", "1")),
        staff_reply_days_urgent=int(_env("SAFESHARE_STAFF_REPLY_DAYS_URGENT", "0")),
        smtp_host=_env("SMTP_HOST", ""),
        smtp_port=int(_env("SMTP_PORT", "587")),
        smtp_security=_env("SMTP_SECURITY", "starttls").lower(),
        smtp_username=_env("SMTP_USERNAME", ""),
        smtp_password=os.environ.get("SMTP_PASSWORD", "").strip(),
        notify_email_from=_env("SAFESHARE_NOTIFY_EMAIL_FROM", ""),
        notify_email_to=tuple(
            a.strip() for a in _env("SAFESHARE_NOTIFY_EMAIL_TO", "").split(",") if a.strip()
        ),
        notify_telegram_chat_id=_env("SAFESHARE_NOTIFY_TELEGRAM_CHAT_ID", ""),
        digest_time=_env("SAFESHARE_DIGEST_TIME", "09:00").lower(),
        notify_interval=float(_env("SAFESHARE_NOTIFY_INTERVAL", "10")),
        log_level=_env("SAFESHARE_LOG_LEVEL", "INFO").upper(),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


# Environment variables read above, for the `.env.example` agreement test.
ENV_VARS = (
    "SAFESHARE_VAR_DIR",
    "DATABASE_URL",
    "TRACKER_DB_URL",
    "REDIS_URL",
    "SAFESHARE_SECRET_KEY",
    "RASA_URL",
    "RASA_PUBLIC_URL",
    "RASA_TOKEN",
    "ACTION_ENDPOINT_URL",
    "SAFESHARE_WEB_HOST",
    "SAFESHARE_WEB_PORT",
    "SAFESHARE_PUBLIC_URL",
    "SAFESHARE_COOKIE_SECURE",
    "SAFESHARE_CONSOLE_IDLE_MINUTES",
    "SAFESHARE_TRUSTED_PROXIES",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_URL",
    "TELEGRAM_MODE",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_LISTEN",
    "TELEGRAM_WEBHOOK_PORT",
    "SAFESHARE_RETENTION_DAYS",
    "SAFESHARE_STAFF_REPLY_DAYS",
    "SAFESHARE_STAFF_REPLY_DAYS_HIGH",
    "SAFESHARE_STAFF_REPLY_DAYS_URGENT",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_SECURITY",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SAFESHARE_NOTIFY_EMAIL_FROM",
    "SAFESHARE_NOTIFY_EMAIL_TO",
    "SAFESHARE_NOTIFY_TELEGRAM_CHAT_ID",
    "SAFESHARE_DIGEST_TIME",
    "SAFESHARE_NOTIFY_INTERVAL",
    "SAFESHARE_LOG_LEVEL",
)
