"""The transport: Apprise, for every service it knows (``abc.Notifier``).

Apprise makes one plugin per URL, which knows the service's format (Markdown, HTML, text)
and limits (an SMS's 160 characters). Plugins are made once per URL and kept. JSON webhooks
go over a pooled connection (``_webhook``); every other service through Apprise's own send.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentcron.abc import Message
from agentcron.errors import DeliveryFailed, InvalidInputError
from agentcron.notify import channels
from agentcron.notify.messages import SMS_LIMIT, fit_sms, flatten_markdown
from agentcron.secrets import mask_text, mask_url, remember_secrets, url_secrets

if TYPE_CHECKING:
    from agentcron.config import Settings
    from agentcron.notify._webhook import WebhookSender

log = logging.getLogger("agentcron.notify")
_KEPT_PLUGINS = 4096
_THREADED_SENDS_PER_CHANNEL = 2
_NO_SUCH_SERVICE = "Unparseable URL "
"""How Apprise says a URL's scheme is none of its services'."""
_NOISE = ("overflow", "retry", "wait", "optional", "format", "method", "image", "cto")


@functools.cache
def load_apprise() -> None:
    """Import Apprise and load its service plugins: a second or more of the interpreter's
    time, which a serving process spends in a thread (``send``), never on its event loop."""
    import apprise  # noqa: PLC0415 - only when sending

    apprise.Apprise.instantiate("json://localhost")


class AppriseNotifier:
    """Checks channel URLs and sends messages through Apprise."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._loaded = False
        self._plugins: OrderedDict[str, tuple[Any, Shape]] = OrderedDict()
        self._expanded: dict[str, str] = {}
        self._webhooks: WebhookSender | None = None
        for transport in (settings.email_transport, settings.sms_transport):
            if transport:
                remember_secrets(url_secrets(transport))

    def expand(self, url: str) -> str:
        """The Apprise URL of a channel (a shorthand through the operator's transport); its
        secrets are hidden in everything masked from now on."""
        expanded = self._expanded.get(url)
        if expanded is None:
            remember_secrets(url_secrets(url))
            expanded = channels.expand(
                url,
                email_transport=self.settings.email_transport,
                sms_transport=self.settings.sms_transport,
            )
            if len(self._expanded) >= _KEPT_PLUGINS:
                self._expanded.clear()
            self._expanded[url] = expanded
        return expanded

    def check(self, url: str) -> str:
        plugin, _ = self._plugin(self.expand(url), url)
        if channels.shorthand(url):
            return channels.shown_shorthand(url)
        return shown(plugin.url(privacy=True))

    def check_transport(self, kind: str) -> str:
        """The operator's ``email`` or ``sms`` transport, masked, once Apprise takes a channel
        sent through it (a probe address); else an InvalidInputError saying why it cannot,
        or a ConfigurationError when it is not set."""
        settings = self.settings
        transport = settings.email_transport if kind == "email" else settings.sms_transport
        probe = "email:probe@example.com" if kind == "email" else "sms:+15555550100"
        expanded = channels.expand(
            probe, email_transport=settings.email_transport, sms_transport=settings.sms_transport
        )
        variable = f"AGENTCRON_{kind.upper()}_TRANSPORT"
        self._plugin(expanded, probe, subject=f"{variable} ({shown_given(transport or '')})")
        return mask_text(channels.mask_phones(mask_url(transport or "")))

    def _plugin(
        self, expanded: str, given: str, *, subject: str | None = None
    ) -> tuple[Any, Shape]:
        """Apprise's plugin for the URL (made once), and the shape of its service; what it
        refuses is named as ``subject`` (by default, the channel URL given)."""
        kept = self._plugins.get(expanded)
        if kept is not None:
            self._plugins.move_to_end(expanded)
            return kept
        import apprise  # noqa: PLC0415 - a second to load its plugins: only when sending

        with _apprise_said() as said:
            plugin = apprise.Apprise.instantiate(expanded)
        if plugin is None:
            scheme = expanded.split("://", 1)[0]
            reason = said[-1] if said else ""
            if not reason or reason.startswith(_NO_SUCH_SERVICE):
                reason = f"no service is known by '{scheme}://'"
            subject = subject or f"The channel URL {shown_given(given)}"
            raise InvalidInputError(
                f"{subject} cannot be used: {mask_text(reason)}. "
                "https://appriseit.com/services/ lists the URL forms."
            )
        kept = self._plugins[expanded] = (plugin, Shape.of(plugin))
        if len(self._plugins) > _KEPT_PLUGINS:
            self._plugins.popitem(last=False)
        return kept

    def parallel_sends(self, url: str) -> int:
        """How many sends to one channel may be under way at once: a webhook's pooled
        connections take many; Apprise's other services share a few threads, which one
        slow mail server must not fill."""
        scheme = url.split("://", 1)[0].lower()
        if scheme in ("json", "jsons"):
            return max(1, self.settings.delivery_concurrency // 10)
        return _THREADED_SENDS_PER_CHANNEL

    async def send(self, url: str, message: Message) -> None:
        if not self._loaded:  # the first send loads Apprise off the loop; runs go on meanwhile
            await asyncio.to_thread(load_apprise)
            self._loaded = True
        plugin, shape = self._plugin(self.expand(url), url)
        title, body, body_format = fitted(shape, message, self.settings.sms_max_segments)
        if type(plugin).__name__ == "NotifyJSON":
            await self._webhook_sender().send(plugin, title, body)
            return
        import apprise  # noqa: PLC0415

        sender = apprise.Apprise()
        sender.add(plugin)
        timeout = self.settings.delivery_timeout_seconds
        try:
            async with asyncio.timeout(timeout + 1):
                result = await sender.async_notify(
                    body=body, title=title, body_format=body_format, timeout=timeout
                )
        except TimeoutError:
            raise DeliveryFailed(
                f"{plugin.service_name} did not answer within {timeout:g} s"
            ) from None
        if not result:
            raise DeliveryFailed(mask_text(transport_error(result, plugin.service_name)))

    def _webhook_sender(self) -> WebhookSender:
        if self._webhooks is None:
            from agentcron.notify._webhook import WebhookSender  # noqa: PLC0415 - aiohttp

            self._webhooks = WebhookSender(self.settings.delivery_timeout_seconds)
        return self._webhooks

    async def close(self) -> None:
        if self._webhooks is not None:
            await self._webhooks.close()


@dataclass(frozen=True)
class Shape:
    """What a service shows: Markdown (or HTML, which Apprise makes from Markdown), or only
    text; and whether it is a text message (an SMS's few characters)."""

    markdown: bool
    sms: bool

    @classmethod
    def of(cls, plugin: Any) -> Shape:
        formats = plugin.notify_format
        values = (
            {getattr(f, "value", f) for f in formats}
            if isinstance(formats, tuple)
            else {getattr(formats, "value", formats)}
        )
        return cls(
            markdown=bool(values & {"markdown", "html"}), sms=plugin.body_maxlen <= SMS_LIMIT
        )


def fitted(shape: Shape, message: Message, sms_segments: int) -> tuple[str, str, str]:
    """The title, body and Apprise body format of ``message`` for a service of this shape:
    Markdown where it renders (Apprise turns it into HTML for HTML services), flattened
    where it does not, and a text message cut to ``sms_segments`` parts, title included."""
    if shape.sms:
        whole = f"{message.title}\n{message.body}" if message.title else message.body
        text = flatten_markdown(whole)
        return "", fit_sms(text, sms_segments, message.more or "the rest is kept"), "text"
    if shape.markdown:
        return message.title, message.body, "markdown"
    return message.title, flatten_markdown(message.body), "text"


def transport_error(result: Any, service: str) -> str:
    """What the service's plugin said went wrong (its last warning or error)."""
    said = [
        entry.message
        for outcome in result.results
        for entry in outcome.logs()
        if entry.level in ("WARNING", "ERROR", "CRITICAL")
    ]
    return said[-1].rstrip(".") if said else f"{service} did not accept the message"


def shown(private_url: str) -> str:
    """Apprise's privacy URL, shorter: its default options dropped, phone numbers masked."""
    from urllib.parse import unquote  # noqa: PLC0415

    head, _, query = private_url.partition("?")
    kept = [p for p in query.split("&") if p and p.split("=")[0] not in _NOISE]
    url = head.rstrip("/") + (f"?{'&'.join(kept)}" if kept else "")
    return mask_text(channels.mask_phones(unquote(url)))


def shown_given(url: str) -> str:
    """A URL a person gave that no plugin took: its scheme and a masked rest."""
    if channels.shorthand(url):
        return f"'{channels.shown_shorthand(url)}'"
    scheme, sep, _ = url.partition("://")
    return f"'{scheme}{sep}…'" if sep else "given"


class _Said(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _apprise_said() -> Iterator[list[str]]:
    """What Apprise logs while it reads a URL: why it refused it."""
    handler = _Said()
    logger = logging.getLogger("apprise")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
