"""Tests stay on this machine: no real model provider, no developer's configuration.

A pytest plugin (``pytest_plugins`` in ``tests/conftest.py``) with one autouse fixture that,
for the whole test session:

- removes from the environment every variable that would point a test at a real provider or
  carry the developer's agentcron configuration into it: ``OPENAI_*`` and ``ANTHROPIC_*``
  (keys, base URLs, organizations), ``OLLAMA_*``, and every ``AGENTCRON_*`` setting but the
  tests' own ``AGENTCRON_TEST_*`` (such as ``AGENTCRON_TEST_PG``), and points
  ``XDG_CONFIG_HOME`` at an empty folder, so that no agentcron.toml of the user's is read.
  Child processes started with ``os.environ`` (the CLI and ``serve`` in ``tests/acceptance``)
  inherit the cleaned environment;
- refuses outgoing TCP connections to anything but loopback (127.0.0.0/8, ::1, localhost), in
  every thread of this process, by wrapping ``socket.socket.connect`` and ``connect_ex``. Python
  clients end there: the blocking ones directly, and asyncio's default (selector) event loop
  calls ``sock.connect`` on its non-blocking sockets in ``sock_connect`` and
  ``create_connection``, so httpx, aiohttp, the openai and anthropic SDKs and redis are covered.
  Clients that connect in C are not: libpq under psycopg (pointed at ``AGENTCRON_TEST_PG``, on
  127.0.0.1 by default), and uvloop, which only the child ``agentcron serve`` processes run;
- refuses ``socket.getaddrinfo`` for names other than localhost's, so that a provider's name
  (api.openai.com) is not even looked up: the test fails at once with ``NetworkRefused``, the
  same way online or offline, instead of on a DNS timeout. IP literals are let through to
  ``connect``, which judges the address; Unix sockets (``AF_UNIX``) are never touched.

A test that needs a model uses ``agentcron.testing.model_server.ScriptedModelServer`` (on
loopback); one that needs a variable sets it with ``monkeypatch.setenv``.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

REMOVED_VARIABLES = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "AGENTCRON_OPENAI_API_KEY",
    "AGENTCRON_ANTHROPIC_API_KEY",
    "AGENTCRON_MODEL",
    "AGENTCRON_OPENAI_BASE_URL",
)
"""The variables that matter most; `leaks_configuration` removes all of their families."""

REMOVED_PREFIXES = ("AGENTCRON_", "OPENAI_", "ANTHROPIC_", "OLLAMA_")
KEPT_PREFIXES = ("AGENTCRON_TEST_",)
"""The test suite's own settings, e.g. AGENTCRON_TEST_PG, the PostgreSQL server to use."""

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
"""Names of this machine's loopback (``*.localhost`` too, RFC 6761)."""


class NetworkRefused(PermissionError):
    """A test tried to reach something off this machine.

    A ``PermissionError``, as a firewall's refusal is (EPERM), so clients take the path they take
    for any failed connection, closing their sockets and raising their own connection error
    with this one as its cause (``httpx.ConnectError``, ``openai.APIConnectionError``...), and
    do not retry it as they may a refused or reset connection (``ConnectionError``).
    """


def leaks_configuration(name: str) -> bool:
    """Whether the environment variable ``name`` is removed for the tests."""
    return name.startswith(REMOVED_PREFIXES) and not name.startswith(KEPT_PREFIXES)


def is_local_name(host: str) -> bool:
    """Whether ``host`` names loopback without a DNS lookup (not for IP literals)."""
    name = host.rstrip(".").lower()
    return name in LOCAL_NAMES or name.endswith(".localhost")


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.partition("%")[0])  # without an IPv6 zone (fe80::1%eth0)
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """Whether a connection to ``host`` stays on this machine: a loopback IP or name."""
    if host == "":  # INADDR_ANY: this host
        return True
    ip = _ip(host)
    if ip is None:
        return is_local_name(host)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def refusal(host: object, port: object) -> NetworkRefused:
    target = f"[{host}]:{port}" if isinstance(host, str) and ":" in host else f"{host}:{port}"
    return NetworkRefused(
        f"a test tried to reach {target}, which is not on this machine: tests must not reach "
        "real model providers (or anything else outside loopback); use the scripted model "
        "server, agentcron.testing.model_server.ScriptedModelServer, on 127.0.0.1"
    )


def _text(host: object) -> str | None:
    if isinstance(host, bytes):
        return host.decode("ascii", "replace")
    return host if isinstance(host, str) else None


def check_address(sock: socket.socket, address: Any) -> None:
    """Raise `NetworkRefused` if ``sock`` is TCP and ``address`` is not loopback."""
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
        return  # Unix sockets, UDP...
    if not isinstance(address, tuple) or len(address) < 2:
        return  # malformed: the real connect raises its own error
    host = _text(address[0])
    if host is None or not is_loopback(host):
        raise refusal(address[0], address[1])


def _guard_connect(
    real: Callable[[socket.socket, Any], Any],
) -> Callable[[socket.socket, Any], Any]:
    def connect(self: socket.socket, address: Any) -> Any:
        check_address(self, address)
        return real(self, address)

    connect.__wrapped__ = real  # type: ignore[attr-defined]
    return connect


def _guard_getaddrinfo(real: Callable[..., Any]) -> Callable[..., Any]:
    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = _text(host)
        if host is not None and (
            name is None or not (name == "" or _ip(name) is not None or is_local_name(name))
        ):
            raise refusal(name if name is not None else host, port)
        return real(host, port, *args, **kwargs)

    getaddrinfo.__wrapped__ = real  # type: ignore[attr-defined]
    return getaddrinfo


def installed() -> bool:
    """Whether the guard is in place (tests of it check this before reaching out)."""
    return all(
        hasattr(function, "__wrapped__")
        for function in (socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo)
    )


# Session-scoped rather than per test: pytest sets up wider-scoped fixtures first, so only a
# session fixture is already in place when a module- or session-scoped fixture (a shared
# ScriptedModelServer, a database) starts, reads settings or connects. Once for the session also
# costs nothing per test. A test that sets a variable with monkeypatch gets it for itself alone:
# monkeypatch restores the cleaned environment afterwards. (Code run on import, while pytest
# collects the tests, comes before any fixture and is not guarded.)
@pytest.fixture(autouse=True, scope="session")
def _offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No provider key, no agentcron setting from outside, no connection off loopback."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if leaks_configuration(name):
                patch.delenv(name)
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("no-user-config")))
        patch.setattr(socket.socket, "connect", _guard_connect(socket.socket.connect))
        patch.setattr(socket.socket, "connect_ex", _guard_connect(socket.socket.connect_ex))
        patch.setattr(socket, "getaddrinfo", _guard_getaddrinfo(socket.getaddrinfo))
        yield
