"""SafeShare's command line.

Usage:
  python -m safeshare run                 train if needed, start everything, print where to chat
  python -m safeshare shell               chat in the terminal (rasa shell + an action server)
  python -m safeshare train [--force]     train the Rasa model if the data changed
  python -m safeshare db-upgrade          apply database migrations
  python -m safeshare create-user NAME [--role reviewer|admin]   add a staff console account
  python -m safeshare retention [--days N]   delete closed inquiries and idle conversations
  python -m safeshare spool-flush         move spooled inquiries and feedback into the database
  python -m safeshare notify [--loop]     send staff notifications now (the web app does it too)
  python -m safeshare digest              today's digest of inquiries due or overdue, now
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from pathlib import Path

from safeshare import launcher
from safeshare.errors import StoreUnavailable
from safeshare.settings import Settings, get_settings


def cmd_run(_: argparse.Namespace) -> int:
    settings = get_settings()
    launcher.ensure_trained()
    from safeshare.db.migrate import upgrade

    upgrade()
    logs = settings.var_dir / "log"
    logs.mkdir(parents=True, exist_ok=True)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    replicated = None
    if settings.rasa_processes > 1:
        from safeshare import topology

        why = topology.why_not_replicated(settings.redis_url)
        if why:
            print(f"one Rasa process instead of {settings.rasa_processes}: {why}", flush=True)
        else:
            replicated = topology.embedded_run(settings, logs)
    stack = replicated.stack if replicated else _single_stack(settings)
    try:
        if replicated:
            print(
                f"starting {settings.rasa_processes} Rasa processes behind nginx, the action server "
                "and the web app (about a minute)...",
                flush=True,
            )
            replicated.start()
            rasa_url, web_url = replicated.internal_url, replicated.public_url
            rasa = f"{settings.rasa_processes} processes behind nginx ({', '.join(replicated.replica_urls)})"
        else:
            _start_single(stack, settings, logs)
            rasa_url, web_url, rasa = stack.rasa_url, stack.web_url, "one process"
        telegram = "not started (set TELEGRAM_BOT_TOKEN; see README)"
        if settings.telegram_bot_token:
            stack.start("telegram", launcher.telegram_argv(), logs / "telegram.log")
            telegram = "relaying your bot's chats (long polling)"
        print(
            "\nSafeShare HK is running. Chat with it:\n"
            f"  Website widget demo : {web_url}/demo\n"
            f"  REST API            : curl -s {rasa_url}/webhooks/rest/webhook "
            '-d \'{"sender":"me","message":"what is a deepfake?"}\'\n'
            "  Terminal            : make shell\n"
            f"  Staff console       : {web_url}/console "
            "(create an account: make user NAME=alice ROLE=admin)\n"
            f"  Telegram            : {telegram}\n"
            f"  Staff notifications : {describe_notifications(settings)}\n"
            f"  Rasa                : {rasa}\n"
            f"  Logs                : {logs}\n"
            "Press Ctrl-C to stop everything.",
            flush=True,
        )
        while not stopping:
            for name, process in list(stack.processes.items()):
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; see {logs}", flush=True)
                    stopping = True
            time.sleep(1)
    finally:
        print("\nstopping...", flush=True)
        stack.stop()
    return 0


def _single_stack(settings: Settings) -> launcher.Stack:
    ports = launcher.Ports.from_settings(settings)
    return launcher.Stack(ports, launcher.stack_env(ports, {"RASA_URL": settings.rasa_url}))


def _start_single(stack: launcher.Stack, settings: Settings, logs: Path) -> None:
    """One Rasa process on RASA_URL, in-process locks (or REDIS_URL's), the web app on its port."""
    ports = stack.ports
    print("starting the action server...", flush=True)
    actions = stack.start("actions", launcher.actions_argv(ports), logs / "actions.log")
    launcher.wait_http(f"http://127.0.0.1:{ports.actions}/health", process=actions)
    print("starting the Rasa server (about 30 s)...", flush=True)
    rasa = stack.start("rasa", launcher.rasa_argv(ports, settings.rasa_token), logs / "rasa.log")
    launcher.wait_rasa_ready(stack.rasa_url, process=rasa)
    web = stack.start("web", launcher.web_argv(ports), logs / "web.log")
    launcher.wait_http(f"{stack.web_url}/healthz", process=web)


def cmd_shell(_: argparse.Namespace) -> int:
    """Chat in the terminal: `rasa shell` with its own action server on a free port."""
    import subprocess

    launcher.ensure_trained()
    from safeshare.db.migrate import upgrade

    upgrade()
    ports = launcher.Ports.free()
    stack = launcher.Stack(ports, launcher.stack_env(ports))
    logs = get_settings().var_dir / "log"
    logs.mkdir(parents=True, exist_ok=True)
    try:
        actions = stack.start("actions", launcher.actions_argv(ports), logs / "shell-actions.log")
        launcher.wait_http(f"http://127.0.0.1:{ports.actions}/health", process=actions)
        argv = launcher.rasa_command(
            "shell", "--model", str(launcher.MODEL), "--endpoints", "endpoints.yml", "--port", str(ports.rasa)
        )
        return subprocess.run(argv, cwd=launcher.PROJECT_ROOT, env=stack.env).returncode
    finally:
        stack.stop()


def cmd_train(args: argparse.Namespace) -> int:
    trained = launcher.ensure_trained(force=args.force)
    print("trained models/safeshare.tar.gz" if trained else "model is up to date")
    return 0


def cmd_db_upgrade(_: argparse.Namespace) -> int:
    from safeshare.db.migrate import upgrade

    upgrade()
    print("database schema is up to date")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from safeshare.web.accounts import create_user_cli

    return create_user_cli(args.username, args.role)


def cmd_retention(args: argparse.Namespace) -> int:
    from safeshare.retention import run_retention

    counts = run_retention(days=args.days)
    print(", ".join(f"{key}: {value}" for key, value in counts.items()))
    return 0


def cmd_spool_flush(_: argparse.Namespace) -> int:
    from safeshare.db import spool

    print(f"moved {spool.flush()} spooled inquiries and votes")
    return 0


def describe_notifications(settings: Settings) -> str:
    from safeshare.notify import describe

    return describe(settings)


def cmd_notify(args: argparse.Namespace) -> int:
    """One outbox pass (alerts, the digest when its time has come, sending); --loop repeats it."""
    from safeshare.notify import describe, run_once

    settings = get_settings()
    print(f"staff notifications: {describe(settings)}", flush=True)
    while True:
        try:
            result = run_once(settings=settings)
        except StoreUnavailable as error:
            if not args.loop:
                raise
            print(f"{error}; trying again", flush=True)
        else:
            print(f"alerts written {result.alerts}, sent {result.sent}, failed {result.failed}", flush=True)
            if not args.loop:
                return 1 if result.failed else 0
        time.sleep(settings.notify_interval)


def cmd_digest(_: argparse.Namespace) -> int:
    """Today's digest now, whatever SAFESHARE_DIGEST_TIME says (still once a day per channel)."""
    from safeshare.notify import configured_channels, describe, run_once

    settings = get_settings()
    if not configured_channels(settings):
        print(f"staff notifications are {describe(settings)}")
        return 1
    result = run_once(settings=settings, digest=True)
    if not result.digests:
        print("today's digest was already written")
    print(f"sent {result.sent}, failed {result.failed}")
    return 1 if result.failed else 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=get_settings().log_level, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m safeshare")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run").set_defaults(func=cmd_run)
    sub.add_parser("shell").set_defaults(func=cmd_shell)
    train = sub.add_parser("train")
    train.add_argument("--force", action="store_true")
    train.set_defaults(func=cmd_train)
    sub.add_parser("db-upgrade").set_defaults(func=cmd_db_upgrade)
    user = sub.add_parser("create-user")
    user.add_argument("username")
    user.add_argument("--role", choices=["reviewer", "admin"], default="reviewer")
    user.set_defaults(func=cmd_create_user)
    retention = sub.add_parser("retention")
    retention.add_argument("--days", type=int, default=None)
    retention.set_defaults(func=cmd_retention)
    sub.add_parser("spool-flush").set_defaults(func=cmd_spool_flush)
    notify = sub.add_parser("notify")
    notify.add_argument("--loop", action="store_true", help="keep going every SAFESHARE_NOTIFY_INTERVAL s")
    notify.set_defaults(func=cmd_notify)
    sub.add_parser("digest").set_defaults(func=cmd_digest)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
