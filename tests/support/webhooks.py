"""A real JSON webhook receiver for tests: records every request (method, path, query,
headers, JSON body) and answers as told: 200, an error status, errors for the first few
requests, or nothing at all until released (a receiver that took the request and hangs)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.local_http import serving

_HANG_AT_MOST_SECONDS = 120.0


@dataclass(frozen=True)
class Request:
    """One request as the receiver got it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """By lower-case name."""
    body: Any
    """The JSON document (None when the body was not JSON)."""
    raw: bytes
    at: float
    """``time.monotonic()`` on arrival."""


class WebhookReceiver:
    """Answers ``status``; the first ``fail_first`` requests get 500; with ``hang``, every
    request is read and recorded, then left without an answer until ``release()``."""

    def __init__(self, *, status: int = 200, fail_first: int = 0, hang: bool = False) -> None:
        self.status = status
        self.fail_first = fail_first
        self.hang = hang
        self.requests: list[Request] = []
        self.url = ""
        self._lock = threading.Lock()
        self._released = threading.Event()

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve on a free port of 127.0.0.1; yields the base URL (http://127.0.0.1:PORT)."""
        with serving(_handler_for(self)) as base:
            self.url = base
            try:
                yield base
            finally:
                self._released.set()  # let hanging requests end before the server stops

    @property
    def port(self) -> int:
        return int(urlsplit(self.url).port or 0)

    def json_url(self, path: str = "/hook", *, auth: str = "", query: str = "") -> str:
        """The Apprise ``json://`` URL of this receiver at ``path``."""
        at = f"{auth}@" if auth else ""
        return f"json://{at}127.0.0.1:{self.port}{path}" + (f"?{query}" if query else "")

    def release(self) -> None:
        """Hanging requests get their answer now, and later ones at once."""
        self.hang = False
        self._released.set()

    def received(self) -> list[Request]:
        with self._lock:
            return list(self.requests)

    def _take(self, request: Request) -> int:
        with self._lock:
            self.requests.append(request)
            failing = len(self.requests) <= self.fail_first
        return 500 if failing else self.status


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            parts = urlsplit(self.path)
            status = receiver._take(
                Request(
                    self.command, parts.path, dict(parse_qsl(parts.query)),
                    {name.lower(): value for name, value in self.headers.items()},
                    body, raw, time.monotonic(),
                )
            )  # fmt: skip
            if receiver.hang:
                receiver._released.wait(_HANG_AT_MOST_SECONDS)
            answer = b'{"ok": true}' if status < 300 else b'{"error": "refused"}'
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass  # the sender gave up (or died) while this one hung

        do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read ``requests``."""

    return Handler
