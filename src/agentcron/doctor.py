"""``agentcron doctor``'s checks: whether this configuration can serve, and what to fix.

Each check is one finding, ``ok``, ``warn`` (worth knowing; nothing fails for it) or
``fail`` (something will not work until it is fixed, said as what to do). The checks read
and never write: the store is not migrated, no task or run is made, no message is sent,
no paid API is called. Every detail is masked (``secrets.mask_text``, with the passwords
and keys of these settings remembered first), so the report can be pasted anywhere.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

from agentcron.agent import OLLAMA_URL, model_name
from agentcron.clock import SystemClock
from agentcron.config import Settings
from agentcron.errors import AgentCronError, BrokerError, ConfigurationError
from agentcron.plurals import plural
from agentcron.processes import gone, process_of
from agentcron.secrets import mask_text, mask_url, remember_secrets, url_secrets
from agentcron.store.migrations import HEAD

if TYPE_CHECKING:
    from agentcron.distributed.broker import CeleryNode
    from agentcron.notify.notifier import AppriseNotifier
    from agentcron.store import SqlStore

State = Literal["ok", "warn", "fail"]
MIGRATE = "run any agentcron command that migrates, e.g. agentcron serve/scheduler"
STORE_TIMEOUT_SECONDS = 10.0
MODEL_TIMEOUT_SECONDS = 5.0
SCHEDULER_HEARTBEATS = 3
"""A scheduler counts as live when its heartbeat is this many intervals old at most."""


@dataclass(frozen=True)
class Finding:
    """One check's outcome: its name, its state, and a masked detail (what to fix, when it
    fails)."""

    check: str
    state: State
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"check": self.check, "status": self.state, "detail": self.detail}


@dataclass
class Report:
    """The findings, in the order they were made."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed (warnings do not count)."""
        return all(finding.state != "fail" for finding in self.findings)

    def add(self, check: str, state: State, detail: str) -> None:
        self.findings.append(Finding(check, state, mask_text(detail)))

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [finding.to_dict() for finding in self.findings]}


async def diagnose(settings: Settings) -> Report:
    """Every check, on these settings."""
    remember_settings_secrets(settings)
    report = Report()
    store = await _check_store(settings, report)
    try:
        at_head = store is not None and await _check_migrations(store, report)
        readable = store if at_head else None
        await _check_shape(settings, readable, report)
        await _check_model(settings, report)
        _check_notifications(settings, report, await _channels(settings, readable))
    finally:
        if store is not None:
            await store.close()
    return report


def remember_settings_secrets(settings: Settings) -> None:
    """Have ``mask_text`` hide the passwords and keys these settings hold, wherever a driver's
    or a server's message would repeat them."""
    for url in (settings.database_url, settings.broker_url, settings.openai_base_url):
        password = _password(url)
        if password:
            remember_secrets([password])
    for transport in (settings.email_transport, settings.sms_transport):
        if transport:
            remember_secrets(url_secrets(transport))
    keys = [settings.openai_api_key, settings.anthropic_api_key]
    remember_secrets(key.get_secret_value() for key in keys if key is not None)
    remember_secrets(
        os.environ[name] for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY") if os.environ.get(name)
    )


def _password(url: str | None) -> str | None:
    if not url:
        return None
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


# the store


async def _check_store(settings: Settings, report: Report) -> SqlStore | None:
    """The store, open and answering; None (with the failure said) when it is not."""
    from agentcron.bootstrap import open_store  # noqa: PLC0415 - SQLAlchemy is heavy

    try:
        store = open_store(settings)
    except AgentCronError as error:
        report.add("store", "fail", error.message)
        return None
    try:
        async with asyncio.timeout(STORE_TIMEOUT_SECONDS):
            await store.revision()
    except TimeoutError:
        report.add(
            "store", "fail",
            f"{store.location} did not answer within {STORE_TIMEOUT_SECONDS:g} s: check "
            "AGENTCRON_DATABASE_URL and that the server runs and can be reached from here",
        )  # fmt: skip
    except AgentCronError as error:
        report.add("store", "fail", f"{error.message} (AGENTCRON_DATABASE_URL)")
    else:
        found = f"{store.location} answers" if store.shared else f"SQLite at {store.location}"
        report.add("store", "ok", f"{found} ({'shared' if store.shared else 'embedded'})")
        return store
    await store.close()
    return None


async def _check_migrations(store: SqlStore, report: Report) -> bool:
    """Whether the schema is at this agentcron's newest migration (nothing is migrated)."""
    try:
        revision = await store.revision()
    except AgentCronError as error:
        report.add("migrations", "fail", error.message)
        return False
    if revision == HEAD:
        report.add("migrations", "ok", f"at head ({HEAD})")
        return True
    if revision is None:
        report.add("migrations", "fail", f"the store has no schema yet: {MIGRATE}")
    elif revision.isdigit() and HEAD.isdigit() and int(revision) < int(HEAD):
        report.add(
            "migrations", "fail", f"at {revision}, behind this agentcron's {HEAD}: {MIGRATE}"
        )
    else:
        report.add(
            "migrations", "fail",
            f"at {revision}, which this agentcron (at {HEAD}) does not know: a newer agentcron "
            "migrated the store; run that version, or upgrade this one",
        )  # fmt: skip
    return False


# the distributed shape


async def _check_shape(settings: Settings, store: SqlStore | None, report: Report) -> None:
    """Embedded (the rest skipped), or distributed: the broker, its workers and queues, and
    the schedulers."""
    from agentcron.distributed.app import broker_url, shared_store  # noqa: PLC0415

    if not settings.broker_url:
        report.add(
            "shape", "ok",
            "embedded: AGENTCRON_BROKER_URL is not set, so 'agentcron serve' runs everything "
            "on its store; the broker, worker, queue and scheduler checks are skipped",
        )  # fmt: skip
        return
    try:
        shared_store(settings)
        url = broker_url(settings)
    except ConfigurationError as error:
        report.add(
            "shape", "fail",
            f"AGENTCRON_BROKER_URL is set (the distributed shape), but {error.message}",
        )  # fmt: skip
        return
    report.add("shape", "ok", f"distributed: schedulers and workers over {mask_url(url)}")
    await _check_broker(settings, url, report)
    if store is not None:
        await _check_schedulers(settings, store, report)


async def _check_broker(settings: Settings, url: str, report: Report) -> None:
    from agentcron.distributed.broker import Broker, unserved  # noqa: PLC0415 - Celery is heavy
    from agentcron.distributed.queues import QUEUES  # noqa: PLC0415

    broker = Broker(settings)
    try:
        try:
            await asyncio.to_thread(broker.ping)
        except BrokerError as error:
            report.add(
                "broker", "fail",
                f"{mask_url(url)} does not answer ({error.message}): start Redis there, or "
                "fix AGENTCRON_BROKER_URL",
            )  # fmt: skip
            return
        report.add("broker", "ok", f"{mask_url(url)} answers")
        try:
            nodes = await asyncio.to_thread(broker.nodes)
            depths = await asyncio.to_thread(broker.depths, QUEUES)
        except BrokerError as error:
            report.add("workers", "fail", f"the broker could not be asked: {error.message}")
            return
    finally:
        broker.close()
    if nodes:
        listed = ", ".join(f"{node.name} ({', '.join(node.queues)})" for node in nodes)
        report.add("workers", "ok", f"{plural(len(nodes), 'live Celery worker')}: {listed}")
    else:
        report.add(
            "workers", "fail",
            "no Celery worker answers on the broker: start one with 'agentcron worker' "
            "(in production, one per queue: docs/deployment.md)",
        )  # fmt: skip
    missing = unserved(QUEUES, nodes)
    if missing:
        report.add(
            "queues", "fail",
            f"no live worker serves {', '.join(missing)}: runs sent there wait until one does; "
            f"start one with 'agentcron worker --queues {','.join(missing)}'",
        )  # fmt: skip
    else:
        report.add("queues", "ok", _served(QUEUES, nodes, depths))


def _served(queues: Sequence[str], nodes: list[CeleryNode], depths: dict[str, int]) -> str:
    def one(queue: str) -> str:
        workers = sum(queue in node.queues for node in nodes)
        return f"{queue} ({plural(workers, 'worker')}, {depths.get(queue, 0)} waiting)"

    return "every queue has a live worker: " + ", ".join(one(queue) for queue in queues)


async def _check_schedulers(settings: Settings, store: SqlStore, report: Report) -> None:
    window = timedelta(seconds=SCHEDULER_HEARTBEATS * settings.heartbeat_seconds)
    now = SystemClock().now()  # heartbeats are written on the processes' own clocks
    try:
        async with store.reading() as reader:
            heard = await reader.workers.seen_since(now - window)
    except AgentCronError as error:
        report.add("schedulers", "fail", f"could not read the heartbeats: {error.message}")
        return
    live = [row for row in heard if row.kind == "scheduler" and not gone(row.id)]
    if not live:
        report.add(
            "schedulers", "fail",
            f"none heard from in the last {window.total_seconds():g} s: no run is made until "
            "one runs; start 'agentcron scheduler' (two, so that one carries on alone)",
        )  # fmt: skip
        return

    def one(row: Any) -> str:
        process = process_of(row.id)
        where = f"pid {process.pid} on {process.host}" if process else row.id
        return f"{where} since {row.started_at:%Y-%m-%d %H:%M:%S}Z"

    listed = ", ".join(one(row) for row in live)
    report.add("schedulers", "ok", f"{plural(len(live), 'live scheduler')}: {listed}")


# the model


async def _check_model(settings: Settings, report: Report) -> None:
    name = settings.model
    if not name:
        report.add(
            "model", "warn",
            "AGENTCRON_MODEL is not set: agent tasks fail saying so (other actions work); set "
            "it, e.g. AGENTCRON_MODEL=openai:gpt-4o-mini",
        )  # fmt: skip
        return
    try:
        model_name(settings)
    except ConfigurationError as error:
        report.add("model", "fail", error.message)
        return
    provider, _, model = name.partition(":")
    if provider == "test":
        report.add("model", "ok", "test: pydantic-ai's test model, which calls no provider")
    elif provider == "anthropic":
        _check_key(report, name, settings.anthropic_api_key, "ANTHROPIC")
    elif provider == "openai" and not settings.openai_base_url:
        _check_key(report, name, settings.openai_api_key, "OPENAI")
    else:
        base = settings.openai_base_url or OLLAMA_URL
        await _check_server(report, name, model, base, settings)


def _check_key(report: Report, name: str, key: Any, family: str) -> None:
    """A key for a hosted provider: said where it comes from, never shown nor tried."""
    if key is not None and key.get_secret_value():
        source = f"AGENTCRON_{family}_API_KEY"
    elif os.environ.get(f"{family}_API_KEY"):
        source = f"{family}_API_KEY"
    else:
        report.add(
            "model", "fail",
            f"{name} needs an API key: set {family}_API_KEY or AGENTCRON_{family}_API_KEY"
            + (" (or AGENTCRON_OPENAI_BASE_URL, for a local server)" if family == "OPENAI" else ""),
        )  # fmt: skip
        return
    report.add("model", "ok", f"{name}, with a key from {source} (not tried: no paid call)")


async def _check_server(
    report: Report, name: str, model: str, base: str, settings: Settings
) -> None:
    """An OpenAI-compatible server answers ``GET /models``, and lists the model."""
    import httpx  # noqa: PLC0415

    shown = mask_url(base)
    key = settings.openai_api_key
    headers = {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}
    try:
        async with httpx.AsyncClient(timeout=MODEL_TIMEOUT_SECONDS) as client:
            answer = await client.get(f"{base.rstrip('/')}/models", headers=headers)
    except (httpx.HTTPError, ValueError) as error:
        report.add(
            "model", "fail",
            f"{name}: the server at {shown} does not answer ({type(error).__name__}): start "
            "it, or fix AGENTCRON_OPENAI_BASE_URL",
        )  # fmt: skip
        return
    if answer.status_code in (401, 403):
        report.add(
            "model", "fail",
            f"{name}: the server at {shown} refuses the key (HTTP {answer.status_code}): set "
            "AGENTCRON_OPENAI_API_KEY to one it takes",
        )  # fmt: skip
        return
    if not answer.is_success:
        report.add(
            "model", "fail",
            f"{name}: the server at {shown} answers HTTP {answer.status_code} to GET /models: "
            "is AGENTCRON_OPENAI_BASE_URL an OpenAI-compatible API (often ending in /v1)?",
        )  # fmt: skip
        return
    listed = _model_ids(answer)
    if not listed or model in listed or f"{model}:latest" in listed:
        report.add("model", "ok", f"{name}: the server at {shown} answers")
        return
    some = ", ".join(sorted(listed)[:5]) + (", ..." if len(listed) > 5 else "")
    report.add(
        "model", "warn",
        f"{name}: the server at {shown} answers, but does not list '{model}' (it lists "
        f"{some}): agent runs fail if it does not know the name",
    )  # fmt: skip


def _model_ids(answer: Any) -> set[str]:
    try:
        data = answer.json().get("data", [])
        return {str(item["id"]) for item in data if isinstance(item, dict) and "id" in item}
    except (ValueError, AttributeError, TypeError):
        return set()


# notifications


async def _channels(settings: Settings, store: SqlStore | None) -> list[Any] | None:
    """The person's channels, or None when the store cannot be read."""
    if store is None:
        return None
    try:
        async with store.reading() as reader:
            return list(await reader.channels.of_owner(settings.user))
    except AgentCronError:
        return None


def _check_notifications(settings: Settings, report: Report, channels: list[Any] | None) -> None:
    notifier: AppriseNotifier | None = None

    def apprise() -> AppriseNotifier:
        nonlocal notifier
        if notifier is None:
            from agentcron.notify.notifier import AppriseNotifier  # noqa: PLC0415 - Apprise

            notifier = AppriseNotifier(settings)
        return notifier

    for kind, label in (("email", "email"), ("sms", "SMS")):
        check = f"{kind} transport"
        variable = f"AGENTCRON_{kind.upper()}_TRANSPORT"
        if not getattr(settings, f"{kind}_transport"):
            report.add(check, "ok", f"not set ({variable}): {kind}: channels are refused")
            continue
        try:
            shown = apprise().check_transport(kind)
        except AgentCronError as error:
            report.add(check, "fail", error.message)
            continue
        report.add(check, "ok", f"{shown} takes {label} channels")
    if channels is None:
        return
    user = settings.user
    if not channels:
        report.add("channels", "ok", f"{user} has none ('agentcron channels add' makes one)")
        return
    refused = []
    for channel in channels:
        try:
            apprise().check(channel.url)
        except AgentCronError as error:
            refused.append(f"'{channel.name}' ({channel.shown}): {error.message}")
    if refused:
        report.add(
            "channels", "fail",
            f"{len(refused)} of {user}'s {plural(len(channels), 'channel')} cannot be used: "
            f"{' '.join(refused)} Fix the setting it needs, or replace the channel "
            "('agentcron channels rm NAME', then 'agentcron channels add NAME URL').",
        )  # fmt: skip
        return
    names = ", ".join(channel.name for channel in channels)
    counted = plural(len(channels), "channel")
    report.add("channels", "ok", f"{user}'s {counted} can be used: {names}")
