"""One settings object, read once from the environment.

`DEFAULTS` names every variable SafeShare reads and its default: the embedded single-machine
set-up (SQLite files under `var/`, an in-process lock store); the scaled set-up only changes
environment variables. This module is the one home of those defaults: `.env.example` lists every
variable with a one-line comment stating the same default, the launcher derives its ports from
them, and docker-compose.yml leaves them to this module; tests/safeshare/test_settings.py checks
all three.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# Every variable read below, with its default when it is unset or empty. "" means none, or one
# worked out in load_settings from other settings (said so in its comment).
DEFAULTS: dict[str, str] = {
    "SAFESHARE_VAR_DIR": "",  # <project>/var
    "DATABASE_URL": "",  # SQLite file in the var dir
    "TRACKER_DB_URL": "",  # SQLite file in the var dir
    "REDIS_URL": "",  # `make run` with two Rasa processes starts a private one
    "SAFESHARE_LOCK_DIR": "",  # none: conversation locks in Redis if REDIS_URL is set, else in-process
    "SAFESHARE_RASA_PROCESSES": "2",
    "SAFESHARE_SECRET_KEY": "",  # generated into the var dir
    "RASA_URL": "http://127.0.0.1:5005",
    "RASA_PUBLIC_URL": "",  # RASA_URL
    "RASA_TOKEN": "",  # generated into the var dir
    "ACTION_ENDPOINT_URL": "http://127.0.0.1:5055/webhook",
    "SAFESHARE_WEB_HOST": "127.0.0.1",
    "SAFESHARE_WEB_PORT": "8000",
    "SAFESHARE_PUBLIC_URL": "",  # http://127.0.0.1:<SAFESHARE_WEB_PORT>
    "SAFESHARE_COOKIE_SECURE": "",  # on unless the public URL is local
    "SAFESHARE_CONSOLE_IDLE_MINUTES": "30",
    "SAFESHARE_TRUSTED_PROXIES": "0",
    "TELEGRAM_BOT_TOKEN": "",
    "TELEGRAM_API_URL": "https://api.telegram.org/bot",
    "TELEGRAM_MODE": "polling",
    "TELEGRAM_WEBHOOK_URL": "",
    "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
    "TELEGRAM_WEBHOOK_PORT": "8443",
    "SAFESHARE_RETENTION_DAYS": "180",
    "SAFESHARE_STAFF_REPLY_DAYS": "2",
    "SAFESHARE_STAFF_REPLY_DAYS_HIGH": "1",
    "SAFESHARE_STAFF_REPLY_DAYS_URGENT": "0",
    "SMTP_HOST": "",
    "SMTP_PORT": "587",
    "SMTP_SECURITY": "starttls",
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SAFESHARE_NOTIFY_EMAIL_FROM": "",
    "SAFESHARE_NOTIFY_EMAIL_TO": "",
    "SAFESHARE_NOTIFY_TELEGRAM_CHAT_ID": "",
    "SAFESHARE_DIGEST_TIME": "09:00",
    "SAFESHARE_NOTIFY_INTERVAL": "10",
    "SAFESHARE_LOG_LEVEL": "INFO",
}
# The variables, for the `.env.example` agreement test and docker-compose.yml's.
ENV_VARS = tuple(DEFAULTS)


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or DEFAULTS[name]


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name).lower()
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
    lock_dir: Path | None
    rasa_processes: int
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
    var_dir = Path(_env("SAFESHARE_VAR_DIR") or str(PROJECT_ROOT / "var")).resolve()
    web_port = int(_env("SAFESHARE_WEB_PORT"))
    public_url = (_env("SAFESHARE_PUBLIC_URL") or f"http://127.0.0.1:{web_port}").rstrip("/")
    local = public_url.startswith(("http://127.0.0.1", "http://localhost"))
    rasa_url = _env("RASA_URL").rstrip("/")
    return Settings(
        var_dir=var_dir,
        database_url=_env("DATABASE_URL") or f"sqlite:///{var_dir / 'safeshare.db'}",
        tracker_db_url=_env("TRACKER_DB_URL") or f"sqlite:///{var_dir / 'tracker.db'}",
        redis_url=_env("REDIS_URL"),
        lock_dir=Path(_env("SAFESHARE_LOCK_DIR")).resolve() if _env("SAFESHARE_LOCK_DIR") else None,
        rasa_processes=max(1, int(_env("SAFESHARE_RASA_PROCESSES"))),
        secret_key=_env("SAFESHARE_SECRET_KEY") or _persistent_secret(var_dir, "secret_key"),
        rasa_url=rasa_url,
        rasa_public_url=(_env("RASA_PUBLIC_URL") or rasa_url).rstrip("/"),
        rasa_token=_env("RASA_TOKEN") or _persistent_secret(var_dir, "rasa_token"),
        action_endpoint_url=_env("ACTION_ENDPOINT_URL"),
        web_host=_env("SAFESHARE_WEB_HOST"),
        web_port=web_port,
        public_url=public_url,
        cookie_secure=_env_bool("SAFESHARE_COOKIE_SECURE", not local),
        console_idle_minutes=int(_env("SAFESHARE_CONSOLE_IDLE_MINUTES")),
        trusted_proxies=int(_env("SAFESHARE_TRUSTED_PROXIES")),
        telegram_bot_token=_env("TELEGRAM_BOT_TOKEN"),
        telegram_api_url=_env("TELEGRAM_API_URL").rstrip("/"),
        telegram_mode=_env("TELEGRAM_MODE"),
        telegram_webhook_url=_env("TELEGRAM_WEBHOOK_URL"),
        telegram_webhook_listen=_env("TELEGRAM_WEBHOOK_LISTEN"),
        telegram_webhook_port=int(_env("TELEGRAM_WEBHOOK_PORT")),
        retention_days=int(_env("SAFESHARE_RETENTION_DAYS")),
        staff_reply_days=int(_env("SAFESHARE_STAFF_REPLY_DAYS")),
        staff_reply_days_high=int(_env("SAFESHARE_STAFF_REPLY_DAYS_HIGH")),
        staff_reply_days_urgent=int(_env("SAFESHARE_STAFF_REPLY_DAYS_URGENT")),
        smtp_host=_env("SMTP_HOST"),
        smtp_port=int(_env("SMTP_PORT")),
        smtp_security=_env("SMTP_SECURITY").lower(),
        smtp_username=_env("SMTP_USERNAME"),
        smtp_password=_env("SMTP_PASSWORD"),
        notify_email_from=_env("SAFESHARE_NOTIFY_EMAIL_FROM"),
        notify_email_to=tuple(a.strip() for a in _env("SAFESHARE_NOTIFY_EMAIL_TO").split(",") if a.strip()),
        notify_telegram_chat_id=_env("SAFESHARE_NOTIFY_TELEGRAM_CHAT_ID"),
        digest_time=_env("SAFESHARE_DIGEST_TIME").lower(),
        notify_interval=float(_env("SAFESHARE_NOTIFY_INTERVAL")),
        log_level=_env("SAFESHARE_LOG_LEVEL").upper(),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
