"""agentcron's Celery application: the broker, the queues, and the two tasks.

Nothing separate to configure: the broker is ``AGENTCRON_BROKER_URL``, and there is no
result backend (the database holds every result). The module's ``app`` is built from the
settings on first use, so Celery's own tools work against the same broker::

    celery -A agentcron.distributed.app inspect ping
    celery -A agentcron.distributed.app flower

Messages go through the broker's default exchange, straight to the list named after the
queue: they need no binding kept in Redis, so a broker restarted empty (or flushed) takes
the next message as the first one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentcron.distributed.queues import PURGE_TASK, QUEUES, RUNS_TASK
from agentcron.errors import ConfigurationError

if TYPE_CHECKING:
    from celery import Celery

    from agentcron.config import Settings

BROKER_TIMEOUT_SECONDS = 5.0
"""How long connecting to the broker, or one read or write on it, may take before it counts
as down: a scheduler then leaves its runs in the outbox and tries again."""


def broker_url(settings: Settings) -> str:
    """The broker's URL, or a ConfigurationError saying how to set it."""
    if not settings.broker_url:
        raise ConfigurationError(
            "The distributed shape needs a broker: set AGENTCRON_BROKER_URL to a Redis URL, "
            "for example AGENTCRON_BROKER_URL=redis://127.0.0.1:6379/0."
        )
    if not settings.broker_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigurationError(
            "AGENTCRON_BROKER_URL must be a Redis URL (redis://, rediss:// or unix://)."
        )
    return settings.broker_url


def shared_store(settings: Settings) -> str:
    """The PostgreSQL URL the distributed shape shares, or a ConfigurationError."""
    url = settings.database_url or ""
    if not url.startswith(("postgresql", "postgres")):
        raise ConfigurationError(
            "The distributed shape keeps its tasks in PostgreSQL: set AGENTCRON_DATABASE_URL "
            "to a postgresql:// URL (SQLite serves one process: use 'agentcron serve')."
        )
    return url


def make_app(settings: Settings) -> Celery:
    """The Celery application on the configured broker, with agentcron's queues and tasks."""
    from celery import Celery  # noqa: PLC0415 - only the distributed shape loads Celery
    from kombu import Exchange, Queue  # noqa: PLC0415

    app = Celery("agentcron", broker=broker_url(settings), set_as_current=False)
    default_exchange = Exchange("", type="direct")
    app.conf.update(
        task_queues=[Queue(name, default_exchange, routing_key=name) for name in QUEUES],
        task_default_queue="default",
        task_default_exchange="",
        task_default_routing_key="default",
        # A message is acknowledged once its runs are reserved in the database under the
        # worker's lease (the lease, not the message, keeps them from then on); a worker
        # that dies before that leaves it to be delivered again.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_store_errors_even_if_ignored=False,
        task_serializer="json",
        accept_content=["json"],
        worker_send_task_events=True,  # Flower shows the messages
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_connection_timeout=BROKER_TIMEOUT_SECONDS,
        broker_transport_options={
            "socket_timeout": BROKER_TIMEOUT_SECONDS,
            "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
            "visibility_timeout": 3600,
        },
        task_publish_retry=False,
    )
    app.task(name=RUNS_TASK, bind=True, acks_late=True)(_take_runs)
    app.task(name=PURGE_TASK, bind=True, acks_late=True)(_purge)
    return app


def _take_runs(task: Any, run_ids: list[int]) -> int:
    """Reserve the runs for this worker and hold them until their instant; how many it
    took. A run another worker holds, or one finished, is not taken."""
    from agentcron.distributed.worker import bridge  # noqa: PLC0415

    return bridge().take([int(run_id) for run_id in run_ids])


def _purge(task: Any) -> int:
    """Delete the history past the retention; how many runs went."""
    from agentcron.distributed.worker import bridge  # noqa: PLC0415

    return bridge().purge()


def __getattr__(name: str) -> Any:
    """``app``, for Celery's own command line: built from the settings when first asked."""
    if name != "app":
        raise AttributeError(name)
    from agentcron.config import load_settings  # noqa: PLC0415

    built = make_app(load_settings())
    globals()["app"] = built
    return built
