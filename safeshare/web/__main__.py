"""Serve the web app (staff console, widget demo, school plans) with waitress.

Usage:
  python -m safeshare.web [--port N] [--host ADDRESS]

Defaults come from SAFESHARE_WEB_PORT and SAFESHARE_WEB_HOST (127.0.0.1: put a TLS-terminating
reverse proxy in front for anything but a local demo).

The process also runs the staff notifier (safeshare.notify): alerts for urgent inquiries and the
daily digest, when a mail server or a staff Telegram chat is configured; it says at start-up
whether notifications are on.
"""

from __future__ import annotations

import argparse
import logging
import sys

from safeshare.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m safeshare.web")
    parser.add_argument("--port", type=int, default=settings.web_port)
    parser.add_argument("--host", default=settings.web_host)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from waitress import serve

    from safeshare.notify import start_notifier
    from safeshare.web.app import create_app

    app = create_app(settings)
    start_notifier(settings)
    logging.getLogger(__name__).info("web app on http://%s:%d", args.host, args.port)
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="safeshare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
