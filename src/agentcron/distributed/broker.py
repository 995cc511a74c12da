"""The broker as agentcron asks it: whether it answers, the messages waiting in each queue,
and the Celery workers alive with the queues each serves. Nothing here writes.

Used by the schedulers' upkeep (queue depths), ``agentcron doctor`` and ``agentcron
status``. Celery's calls block, so async callers run them in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentcron.errors import BrokerError

if TYPE_CHECKING:
    from celery import Celery

    from agentcron.config import Settings

INSPECT_TIMEOUT_SECONDS = 2.0
"""How long live workers have to answer Celery's broadcast (``inspect active_queues``)."""
CONNECT_TIMEOUT_SECONDS = 3
"""How long the broker has to accept a connection before it counts as down."""


@dataclass(frozen=True)
class CeleryNode:
    """A live Celery worker, by its node name, and the queues it consumes."""

    name: str
    queues: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.name, "queues": list(self.queues)}


class Broker:
    """The configured broker, asked through agentcron's Celery application."""

    def __init__(self, settings: Settings, app: Celery | None = None) -> None:
        from agentcron.distributed.app import make_app  # noqa: PLC0415 - Celery is heavy

        self.app: Celery = app if app is not None else make_app(settings)

    def ping(self) -> None:
        """Raise BrokerError unless the broker takes a connection and answers PING."""
        try:
            with self.app.connection_for_read() as connection:
                connection.ensure_connection(max_retries=1, timeout=CONNECT_TIMEOUT_SECONDS)
                if not connection.default_channel.client.ping():  # type: ignore[attr-defined]
                    raise BrokerError("the broker did not answer PING")
        except BrokerError:
            raise
        except Exception as error:  # kombu and redis-py raise their own, varied errors
            raise BrokerError(f"{type(error).__name__}: {error}") from error

    def depths(self, queues: tuple[str, ...]) -> dict[str, int]:
        """Messages waiting in each queue (taken by no worker yet)."""
        try:
            with self.app.connection_for_read() as connection:
                connection.ensure_connection(max_retries=1, timeout=CONNECT_TIMEOUT_SECONDS)
                client = connection.default_channel.client  # type: ignore[attr-defined]
                return {queue: int(client.llen(queue)) for queue in queues}
        except Exception as error:
            raise BrokerError(
                f"could not count the queues ({type(error).__name__}: {error})"
            ) from error

    def nodes(self, timeout: float = INSPECT_TIMEOUT_SECONDS) -> list[CeleryNode]:
        """The Celery workers that answer within ``timeout``, by name."""
        try:
            answers = self.app.control.inspect(timeout=timeout).active_queues() or {}
        except Exception as error:
            raise BrokerError(f"could not ask the workers ({type(error).__name__})") from error
        return sorted(
            (
                CeleryNode(name, tuple(queue["name"] for queue in queues or ()))
                for name, queues in answers.items()
            ),
            key=lambda node: node.name,
        )

    def close(self) -> None:
        self.app.close()


def unserved(queues: tuple[str, ...], nodes: list[CeleryNode]) -> list[str]:
    """The queues no live worker consumes, in ``queues``' order."""
    served = {queue for node in nodes for queue in node.queues}
    return [queue for queue in queues if queue not in served]
