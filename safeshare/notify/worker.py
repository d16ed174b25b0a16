"""The notifier thread of the web app: one outbox pass every SAFESHARE_NOTIFY_INTERVAL seconds.

A daemon thread, started by `python -m safeshare.web` (not by `create_app`, so importing the app
or testing it starts nothing). A database error is logged and the next pass tries again: rows stay
where they are, nothing is lost.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import SQLAlchemyError

from safeshare.notify.channels import configured_channels, describe
from safeshare.notify.outbox import digest_time, run_once
from safeshare.settings import Settings

logger = logging.getLogger(__name__)


class Notifier(threading.Thread):
    def __init__(self, settings: Settings) -> None:
        super().__init__(name="staff-notifier", daemon=True)
        self.settings = settings
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                run_once(settings=self.settings)
            except SQLAlchemyError as error:
                logger.warning("notifier: database unavailable (%s); trying again", type(error).__name__)
            except Exception:  # the thread must outlive any one bad pass
                logger.exception("notifier pass failed; trying again")
            self.stopping.wait(self.settings.notify_interval)

    def stop(self) -> None:
        self.stopping.set()


def start_notifier(settings: Settings) -> Notifier | None:
    """Start the thread if a channel is configured; say at start-up what happens either way."""
    digest_time(settings)  # a malformed SAFESHARE_DIGEST_TIME fails at start, not at 9 a.m.
    logger.info("staff notifications: %s", describe(settings))
    if not configured_channels(settings):
        return None
    notifier = Notifier(settings)
    notifier.start()
    return notifier
