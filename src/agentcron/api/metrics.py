"""``/metrics`` in Prometheus' text format, for operators (an admin key).

Runs, deliveries, lateness, duration, tokens, cost and queue depth are read from the store
at each scrape (``TaskService.metrics``), so they count the work of every process once;
they are gauges and histograms of what the retention keeps, and fall when it purges. HTTP
requests are counted by this process, by route template (never by path: ids stay out of
the labels, as do people).
"""

from __future__ import annotations

from collections.abc import Iterator
from time import perf_counter
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client import Histogram as RequestHistogram
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from agentcron import __version__
from agentcron.api.auth import Authenticated, Service
from agentcron.errors import ForbiddenError

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from agentcron.views import Histogram, StoreMetrics

router = APIRouter()


class HttpMetrics:
    """This process's requests, by method, route template and status."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "agentcron_http_requests",
            "HTTP requests answered, by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.seconds = RequestHistogram(
            "agentcron_http_request_duration_seconds",
            "Time to answer an HTTP request (a stream: until it ends).",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
        )


class CountRequests:
    """ASGI middleware feeding ``HttpMetrics``: the route is known once routing has run."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.seconds.labels(method, route).observe(perf_counter() - started)


class _StoreSnapshot(Collector):
    """One scrape's view of the store, as metric families."""

    def __init__(self, totals: StoreMetrics) -> None:
        self.totals = totals

    def collect(self) -> Iterator[Metric]:
        totals = self.totals
        info = GaugeMetricFamily("agentcron_info", "This agentcron.", labels=["version"])
        info.add_metric([__version__], 1)
        yield info
        yield _by("agentcron_runs", "Runs in the store, by status.", "status", totals.runs)
        yield _by(
            "agentcron_deliveries", "Notifications in the store, by status.", "status",
            totals.deliveries,
        )  # fmt: skip
        yield _histogram(
            "agentcron_run_lateness_seconds",
            "How long after it could start each run started.",
            totals.lateness,
        )
        yield _histogram(
            "agentcron_run_duration_seconds", "How long each finished run took.", totals.duration
        )
        tokens = GaugeMetricFamily(
            "agentcron_agent_tokens", "Model tokens agent runs used, by kind.", labels=["kind"]
        )
        tokens.add_metric(["input"], totals.input_tokens)
        tokens.add_metric(["output"], totals.output_tokens)
        yield tokens
        yield GaugeMetricFamily(
            "agentcron_agent_cost", "Estimated cost of agent runs (the prices' currency).",
            value=totals.cost,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "agentcron_runs_waiting", "Runs due that have not started.", value=totals.waiting
        )
        yield _by(
            "agentcron_queue_depth", "Messages waiting in each broker queue, as last counted.",
            "queue", totals.queues,
        )  # fmt: skip


def _by(name: str, about: str, label: str, counts: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, about, labels=[label])
    for value, count in sorted(counts.items()):
        family.add_metric([value], count)
    return family


def _histogram(name: str, about: str, seen: Histogram) -> HistogramMetricFamily:
    buckets: list[tuple[str, float]] = [
        (repr(bound), count) for bound, count in zip(seen.bounds, seen.counts, strict=True)
    ]
    buckets.append(("+Inf", seen.count))
    return HistogramMetricFamily(name, about, buckets=buckets, sum_value=seen.total)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text."}},
)
async def metrics(who: Authenticated, tasks: Service, request: Request) -> Response:
    """Prometheus metrics (an admin key): runs, lateness, duration, tokens, cost,
    deliveries, queue depth, HTTP requests."""
    if not who.admin:
        raise ForbiddenError("The metrics are an operator's view: they need an admin key.")
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(_StoreSnapshot(await tasks.metrics()))
    served: HttpMetrics = request.app.state.http_metrics
    body = generate_latest(scrape) + generate_latest(served.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
