"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, for the tests.

Usage:

    from tests.fakes.smtp_server import SmtpInbox

    with SmtpInbox() as inbox:                       # or SmtpInbox(login=("user", "secret"))
        ... SMTP_HOST=127.0.0.1 SMTP_PORT=inbox.port SMTP_SECURITY=none ...
        message = inbox.wait_for(lambda m: "SS-7K3Q9" in m["Subject"], timeout=30)
        message.get_content()                        # the plain-text body

`messages` are `email.message.EmailMessage`s parsed from what the client sent; `envelopes` keep
the SMTP envelope (sender, recipients). `stop()` then `start()` again on the same port simulates
an outage. With `login`, the server offers AUTH (without TLS, on loopback) and refuses other
credentials.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from safeshare.launcher import free_port


class SmtpInbox:
    def __init__(self, *, login: tuple[str, str] | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.login = login
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.failed_logins = 0
        self._changed = threading.Condition()
        self._controller: Controller | None = None

    # aiosmtpd handler hook
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._changed:
            self.envelopes.append(envelope)
            self.messages.append(message)  # type: ignore[arg-type]
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword) and self.login is not None:
            given = (data.login.decode(), data.password.decode())
            if given == self.login:
                return AuthResult(success=True)
        self.failed_logins += 1
        return AuthResult(success=False, handled=False)

    def start(self) -> SmtpInbox:
        options: dict[str, Any] = {}
        if self.login is not None:
            options.update(authenticator=self._authenticate, auth_require_tls=False, auth_required=True)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpInbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, predicate: Callable[[EmailMessage], bool], timeout: float = 30.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for message in self.messages:
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    subjects = [m["Subject"] for m in self.messages]
                    raise TimeoutError(f"no matching email within {timeout}s; received {subjects}")
                self._changed.wait(remaining)
