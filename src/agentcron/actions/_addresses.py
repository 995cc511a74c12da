"""Private addresses out of reach: the http action and the agent's http_get call only public
ones, unless the operator allows private ones (``http_allow_private``).

A task naming a private address literally (or ``localhost``) is refused when it is made.
A host name is checked when the run connects: every address it resolves to must be public,
and the connection goes to the address checked, so a DNS answer that changes in between
(rebinding) cannot slip through; a redirect's target, a new connection, is checked again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not the internet
_ALLOW = "AGENTCRON_HTTP_ALLOW_PRIVATE=true lets agentcron call them"


def private_kind(address: IPAddress) -> str | None:
    """What makes ``address`` private ('a loopback address'...), or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (the cloud metadata service is one)"
    if address.is_private or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED):
        return "a private address"
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return "not a public address"
    return None


def literal_refusal(url: str) -> str | None:
    """Why ``url`` names a private host outright (an address, or localhost), else None."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is this machine; {_ALLOW}."
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: checked when the run connects
    kind = private_kind(address)
    return f"{host} is {kind}; {_ALLOW}." if kind else None


class PrivateAddressError(httpcore.ConnectError):
    """A connection refused: its host is, or resolves to, a private address."""


def refused(error: BaseException) -> PrivateAddressError | None:
    """The refusal behind an httpx error, if that is what it was."""
    cause = error.__cause__ or error.__context__
    return cause if isinstance(cause, PrivateAddressError) else None


class _PublicOnly(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to public addresses."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in found]
        for address in addresses:
            if kind := private_kind(address):
                raise PrivateAddressError(f"{host} is {address}, {kind}; {_ALLOW}.")
        return await self._inner.connect_tcp(
            str(addresses[0]), port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise PrivateAddressError(f"a Unix socket ({path}) is not a public address")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def public_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """An httpx transport that connects only to public addresses."""
    transport = httpx.AsyncHTTPTransport(limits=limits)
    # httpx takes no network backend of its own: its pool is replaced by one with ours
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=_PublicOnly(),
    )
    return transport
