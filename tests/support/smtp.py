"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, recording every message it accepts.

Its port is chosen when it is made, so a test can point agentcron at it while it is still
down (``start()`` later), as a mail server that comes back would be.
"""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.local_http import free_port

SENDER = "agentcron@example.com"


@dataclass(frozen=True)
class Received:
    """One message as the server took it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        """The plain text part (or the only part)."""
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None, self.message.as_string()
        return str(part.get_content())  # type: ignore[attr-defined]

    def html(self) -> str | None:
        part = self.message.get_body(preferencelist=("html",))
        return None if part is None else str(part.get_content())  # type: ignore[attr-defined]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.server.lock:
            self.server.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message)
            )
        return "250 Message accepted for delivery"


class SmtpServer:
    """An SMTP server on a port of 127.0.0.1 of its own, plain (no TLS); with ``login``, it
    takes only that user and password (AUTH over plain text, as a local relay may)."""

    def __init__(self, *, login: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.login = login
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def transport(self) -> str:
        """The Apprise mail URL, without a recipient, that reaches this server (what
        AGENTCRON_EMAIL_TRANSPORT holds): ``mailto://`` is plain SMTP, no STARTTLS."""
        auth = f"{self.login[0]}:{self.login[1]}@" if self.login else ""
        return f"mailto://{auth}127.0.0.1:{self.port}?from={SENDER}"

    def start(self) -> Self:
        extra: dict[str, Any] = {}
        if self.login is not None:
            extra = {"authenticator": self._authenticate, "auth_require_tls": False}
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10, **extra
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        given = (
            (auth_data.login.decode(), auth_data.password.decode())
            if isinstance(auth_data, LoginPassword)
            else None
        )
        return AuthResult(success=given == self.login)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
