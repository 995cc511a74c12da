"""Secrets of http tasks (a URL's password and tokens, an Authorization header) are sent to the
receiver and shown nowhere: not in serve's output or logs, not in any command's output."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest

from tests.acceptance.test_cli_schedule import agentcron
from tests.acceptance.test_serve import Serve, environment
from tests.support.local_http import free_port, serving


class Hook(BaseHTTPRequestHandler):
    authorizations: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        Hook.authorizations.append(self.headers.get("Authorization", ""))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    Hook.authorizations = []
    with serving(Hook) as url:
        yield url.removeprefix("http://")


def test_http_secrets_are_masked_in_every_output_and_log(hook: str, tmp_path: Path) -> None:
    password, token, bearer = (secrets.token_hex(8) for _ in range(3))  # made up here
    env = environment(tmp_path, AGENTCRON_LOG_LEVEL="DEBUG", AGENTCRON_HTTP_ALLOW_PRIVATE="true")
    payloads = [
        {"url": f"http://bob:{password}@{hook}/hook?token={token}&page=2"},
        {"url": f"http://{hook}/hook", "headers": {"Authorization": f"Bearer {bearer}"}},
        {"url": f"http://bob:{password}@127.0.0.1:{free_port()}/?access_token={token}"},
    ]
    outputs = []
    for number, payload in enumerate(payloads):
        added = agentcron(
            "add", f"hook {number}", "--when", "in 2 seconds", "--action", "http",
            "--max-attempts", "1", "--payload", json.dumps(payload), "--json", env=env,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        outputs.append(added.stdout)
    serve = Serve(env, tmp_path / "serve.log")
    try:
        deadline = time.monotonic() + 30
        while True:
            listed = [json.loads(agentcron("runs", i, "--json", env=env).stdout) for i in "123"]
            if all(runs and runs[0]["status"] in ("succeeded", "failed") for runs in listed):
                break
            assert time.monotonic() < deadline, listed
            time.sleep(0.2)
    finally:
        assert serve.stop() == 0
    statuses = [runs[0]["status"] for runs in listed]
    assert statuses == ["succeeded", "succeeded", "failed"]
    basic, given = sorted(Hook.authorizations)  # the two runs may reach the hook in either order
    assert basic.startswith("Basic ")  # the password was sent,
    assert given == f"Bearer {bearer}"  # and the header as given
    masked = f"POST http://bob:****@{hook}/hook?token=****&page=2 -> 200"
    assert masked in listed[0][0]["output"]
    assert "POST http://bob:****@127.0.0.1:" in listed[2][0]["error"]
    for command in (
        ["ls", "--all", "--json"], ["ls", "--all"], ["show", "1"], ["show", "1", "--json"],
        ["show", "2"], ["show", "2", "--json"], ["show", "3"], ["runs", "1"], ["runs", "3"],
        ["run-show", "1"], ["run-show", "3", "--json"],
    ):  # fmt: skip
        result = agentcron(*command, env=env)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    log = (tmp_path / "serve.log").read_text()
    assert "HTTP Request: POST" in log  # httpx logged the requests, with their URLs
    assert "****" in outputs[3]  # ls --all --json: the payloads, masked
    for text in (*outputs, log, json.dumps(listed)):
        for secret in (password, token, bearer):
            assert secret not in text
