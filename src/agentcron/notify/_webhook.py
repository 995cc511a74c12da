"""JSON webhooks (``json://``, ``jsons://``) over one pooled connection per receiver.

Apprise's JSON plugin opens a new connection for every message through a blocking client:
about 400 messages a second here (bench/notify_burst.py), so a burst of 10,000 would take
25 s. This sends the very document that plugin sends, with the plugin's own settings (read
off the plugin Apprise made from the URL: method, headers, query, field renames,
credentials, certificate check), over aiohttp's keep-alive pool: the whole burst in
seconds. Every other scheme goes through Apprise itself.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp

from agentcron.errors import DeliveryFailed

_POOL_SIZE = 100


class WebhookSender:
    """One aiohttp session for every webhook this process sends (made in the running loop)."""

    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=_POOL_SIZE, limit_per_host=_POOL_SIZE)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self._session

    async def send(self, plugin: Any, title: str, body: str) -> None:
        """POST (or the plugin's method) the plugin's JSON document; DeliveryFailed unless
        the receiver answers 2xx."""
        schema = "https" if plugin.secure else "http"
        port = f":{plugin.port}" if isinstance(plugin.port, int) else ""
        url = f"{schema}://{plugin.host}{port}{plugin.fullpath}"
        headers = {"User-Agent": plugin.app_id, "Content-Type": "application/json"}
        headers.update(plugin.headers)
        if plugin.user:
            headers["Authorization"] = basic_auth(plugin.user, plugin.password or "")
        try:
            async with self._client().request(
                plugin.method,
                url,
                data=json.dumps(document(plugin, title, body)),
                params=plugin.params or None,
                headers=headers,
                ssl=bool(plugin.verify_certificate),
                allow_redirects=bool(getattr(plugin, "redirects", True)),
            ) as response:
                await response.read()
                if not 200 <= response.status < 300:
                    raise DeliveryFailed(
                        f"the receiver at {plugin.host} answered HTTP {response.status} "
                        f"{response.reason or ''}".rstrip()
                    )
        except TimeoutError:  # first: it is an OSError, and aiohttp's timeouts ClientErrors
            raise DeliveryFailed(f"the receiver at {plugin.host} did not answer in time") from None
        except (aiohttp.ClientError, OSError) as error:
            raise DeliveryFailed(
                f"cannot reach the receiver at {plugin.host}: {str(error) or type(error).__name__}"
            ) from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            await asyncio.sleep(0)  # let the connector close its sockets
            self._session = None


def basic_auth(user: str, password: str) -> str:
    """The Authorization header of HTTP basic auth, encoded as Apprise's client (requests)
    encodes it (aiohttp's ``BasicAuth`` is deprecated)."""
    token = base64.b64encode(f"{user}:{password}".encode("latin-1")).decode("ascii")
    return f"Basic {token}"


def document(plugin: Any, title: str, body: str) -> dict[str, Any]:
    """The JSON Apprise's plugin sends for this message (no attachments), with the URL's
    ``:field=name`` renames and ``:field=`` removals applied."""
    payload: dict[str, Any] = {
        "version": plugin.json_version,
        "title": title,
        "message": body,
        "attachments": [],
        "type": "info",
    }
    for key, value in plugin.payload_extras.items():
        if key in payload:
            moved = payload.pop(key)
            if value:
                payload[value] = moved
        else:
            payload[key] = value
    return payload
