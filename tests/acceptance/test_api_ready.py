"""``/healthz`` and ``/readyz`` of ``agentcron api``: alive, and ready only while the store
and, distributed, the broker answer."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.api_server import Server
from tests.support.local_http import free_port


def test_ready_needs_the_broker_when_distributed(tmp_path: Path) -> None:
    env = {"AGENTCRON_HOME": str(tmp_path), "AGENTCRON_TIMEZONE": "UTC"}
    for broker, ready in (
        ("redis://127.0.0.1:6379/11", True),
        (f"redis://:Br0kerPassw0rd@127.0.0.1:{free_port()}/0", False),  # nothing listens
    ):
        server = Server(env | {"AGENTCRON_BROKER_URL": broker}, tmp_path / "api.log")
        try:
            assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
            answer = httpx.get(f"{server.url}/readyz", timeout=20)
        finally:
            server.stop()
        if ready:
            assert (answer.status_code, answer.json()) == (200, {"status": "ready"})
        else:
            assert answer.status_code == 503
            assert answer.json()["error"]["code"] == "broker_unavailable"
            assert "Br0kerPassw0rd" not in answer.text
            assert "Br0kerPassw0rd" not in (tmp_path / "api.log").read_text()
