"""The test guard: no test reaches a real model provider or sees the developer's configuration.

Every attempt here aims at a TEST-NET address (192.0.2.1, 2001:db8::1: never routed) or at a
provider's name with the guard checked in place first, so the tests stay offline even if the
guard broke.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import openai
import pytest

from tests import guard
from tests.guard import NetworkRefused
from tests.support.local_http import serving

ROOT = Path(__file__).resolve().parents[2]
OFF_LOOPBACK = ("192.0.2.1", 443)
PROVIDER = "https://api.openai.com/v1"


@pytest.fixture(autouse=True)
def _guard_in_place() -> None:
    """Nothing here reaches out unless the guard is there to stop it."""
    assert guard.installed(), "the guard is not installed: not trying to reach out"


def causes(error: BaseException) -> Iterator[BaseException]:
    """``error``, its causes and contexts, and the members of exception groups."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
        if isinstance(current, BaseExceptionGroup):
            todo += list(current.exceptions)


def refused(error: BaseException) -> NetworkRefused:
    """The guard's error in ``error``'s chain (fails the test if it is not there)."""
    found = [e for e in causes(error) if isinstance(e, NetworkRefused)]
    assert found, f"no NetworkRefused behind {error!r}"
    return found[0]


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening TCP socket on 127.0.0.1."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server


# --- Outgoing connections -------------------------------------------------------------------------


def test_a_connection_off_loopback_is_refused_and_says_what_to_use() -> None:
    with pytest.raises(NetworkRefused) as caught:
        socket.create_connection(OFF_LOOPBACK, timeout=0.5)
    message = str(caught.value)
    assert "a test tried to reach 192.0.2.1:443" in message
    assert "scripted model server" in message
    assert "ScriptedModelServer" in message


@pytest.mark.parametrize("method", ["connect", "connect_ex"])
def test_both_connect_methods_refuse_blocking_or_not(method: str) -> None:
    for blocking in (True, False):
        with socket.socket() as sock:
            sock.settimeout(0.5)
            sock.setblocking(blocking)
            with pytest.raises(NetworkRefused, match=r"192\.0\.2\.1:443"):
                getattr(sock, method)(OFF_LOOPBACK)


def test_ipv6_and_ipv4_mapped_addresses_are_judged_too() -> None:
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        pytest.skip("no IPv6 on this machine")
    with sock:
        sock.settimeout(0.5)
        with pytest.raises(NetworkRefused, match=r"\[2001:db8::1\]:443"):
            sock.connect(("2001:db8::1", 443, 0, 0))
    assert guard.is_loopback("::1")
    assert guard.is_loopback("::ffff:127.0.0.1")
    assert not guard.is_loopback("::ffff:192.0.2.1")
    assert guard.is_loopback("127.8.9.10")  # all of 127.0.0.0/8
    assert not guard.is_loopback("10.0.0.1")
    assert not guard.is_loopback("api.openai.com")


async def test_asyncio_connections_are_refused_on_its_default_loop() -> None:
    """The selector loop's sock_connect and create_connection call sock.connect."""
    loop = asyncio.get_running_loop()
    with socket.socket() as sock:
        sock.setblocking(False)
        with pytest.raises(NetworkRefused, match=r"192\.0\.2\.1:443"):
            await asyncio.wait_for(loop.sock_connect(sock, OFF_LOOPBACK), 2)
    with pytest.raises(NetworkRefused, match=r"192\.0\.2\.1:443"):
        await asyncio.wait_for(loop.create_connection(asyncio.Protocol, *OFF_LOOPBACK), 2)
    with pytest.raises(NetworkRefused, match=r"192\.0\.2\.1:443"):
        await asyncio.wait_for(asyncio.open_connection(*OFF_LOOPBACK), 2)


# --- Names ----------------------------------------------------------------------------------------


async def test_a_providers_name_is_not_even_looked_up() -> None:
    with pytest.raises(NetworkRefused, match=r"api\.openai\.com:443"):
        socket.getaddrinfo("api.openai.com", 443)
    with pytest.raises(NetworkRefused, match=r"api\.anthropic\.com:443"):
        await asyncio.get_running_loop().getaddrinfo("api.anthropic.com", 443)
    with pytest.raises(NetworkRefused, match=r"api\.openai\.com:443"):
        socket.create_connection(("api.openai.com", 443), timeout=0.5)
    with socket.socket() as sock, pytest.raises(NetworkRefused, match=r"api\.openai\.com:443"):
        sock.connect(("api.openai.com", 443))  # a name handed to connect is not resolved


def test_local_names_and_ip_literals_still_resolve() -> None:
    assert socket.getaddrinfo("localhost", 80)
    assert socket.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)
    assert socket.getaddrinfo("192.0.2.1", 443)  # no lookup: connect judges the address
    assert socket.getaddrinfo(None, 80, flags=socket.AI_PASSIVE)  # binding to all interfaces
    assert guard.is_local_name("localhost.")
    assert guard.is_local_name("app.localhost")


# --- Clients of model providers -------------------------------------------------------------------


@pytest.mark.parametrize("base_url", [PROVIDER, "https://192.0.2.1/v1"], ids=["name", "address"])
@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_an_openai_sdk_request_fails_with_the_guards_error(
    base_url: str, transport: str
) -> None:
    """By name (refused at the lookup) or by address (at connect), on both of the SDK's
    transports: httpx, its default, and aiohttp, which agentcron's agent uses."""
    http_client = openai.DefaultAioHttpClient() if transport == "aiohttp" else None
    async with openai.AsyncOpenAI(
        base_url=base_url, api_key="x", max_retries=0, timeout=2.0, http_client=http_client
    ) as client:
        with pytest.raises(openai.APIConnectionError) as caught:
            await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}]
            )
    host = "api.openai.com" if base_url == PROVIDER else "192.0.2.1"
    assert f"a test tried to reach {host}:443" in str(refused(caught.value))


def test_the_sync_openai_client_fails_with_the_guards_error() -> None:
    with (
        openai.OpenAI(base_url=PROVIDER, api_key="x", max_retries=0, timeout=2.0) as client,
        pytest.raises(openai.APIConnectionError) as caught,
    ):
        client.models.list()
    refused(caught.value)


# --- What keeps working ---------------------------------------------------------------------------


def test_loopback_connections_still_work(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    for host in ("127.0.0.1", "localhost"):
        with socket.create_connection((host, port), timeout=2) as client:
            accepted, _ = listener.accept()
            with accepted:
                client.sendall(b"ping")
                assert accepted.recv(4) == b"ping"
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) == 0
        listener.accept()[0].close()


async def test_loopback_connections_still_work_from_asyncio(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
    writer.close()
    await writer.wait_closed()
    listener.accept()[0].close()


class Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


async def test_http_clients_still_reach_a_local_server() -> None:
    """httpx, sync and async, and aiohttp as agentcron's agent uses it, by address and name."""
    with serving(Hello) as url:
        bases = (url, url.replace("127.0.0.1", "localhost"))
        with httpx.Client(timeout=2) as sync_client:
            assert [sync_client.get(base).text for base in bases] == ["hello", "hello"]
        async with httpx.AsyncClient(timeout=2) as async_client:
            assert [(await async_client.get(base)).text for base in bases] == ["hello", "hello"]
        async with openai.DefaultAioHttpClient(timeout=2) as aiohttp_client:
            assert [(await aiohttp_client.get(base)).text for base in bases] == ["hello", "hello"]


def test_unix_sockets_are_untouched(tmp_path: Path) -> None:
    path = str(tmp_path / "wake.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.bind(path)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.connect(path)
            sender.send(b"wake")
        assert receiver.recv(4) == b"wake"
    first, second = socket.socketpair()
    with first, second:
        first.sendall(b"x")
        assert second.recv(1) == b"x"


# --- The environment ------------------------------------------------------------------------------


def test_no_provider_key_or_agentcron_setting_is_in_the_environment() -> None:
    leaked = [name for name in os.environ if guard.leaks_configuration(name)]
    assert leaked == []
    for name in guard.REMOVED_VARIABLES:
        assert name not in os.environ


def test_which_variables_are_removed() -> None:
    for name in (*guard.REMOVED_VARIABLES, "OPENAI_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
        assert guard.leaks_configuration(name)
    for name in ("AGENTCRON_HOME", "AGENTCRON_DATABASE_URL", "AGENTCRON_MODEL_PRICES"):
        assert guard.leaks_configuration(name)
    for name in ("AGENTCRON_TEST_PG", "PATH", "HOME", "PYTHONPATH", "MY_OPENAI_API_KEY"):
        assert not guard.leaks_configuration(name)


def test_no_agentcron_toml_of_the_users_is_read() -> None:
    from agentcron.config_files import file_paths, user_config_file

    config = Path(os.environ["XDG_CONFIG_HOME"])
    assert user_config_file() == config / "agentcron" / "agentcron.toml"
    assert list(config.iterdir()) == []
    assert [path for path in file_paths() if path.exists()] == []


def test_a_test_may_still_set_a_variable_for_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTCRON_MODEL", "test")
    assert os.environ["AGENTCRON_MODEL"] == "test"


def test_keys_set_before_the_session_are_gone_in_tests_and_their_children(
    tmp_path: Path,
) -> None:
    """A pytest session started with keys in its environment, as on a developer's machine:
    its test, and a process that test starts (as tests/acceptance do), see none of them."""
    (tmp_path / "test_inside.py").write_text(
        textwrap.dedent(
            """
            import json, os, subprocess, sys

            OUTSIDE = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AGENTCRON_OPENAI_API_KEY",
                       "AGENTCRON_MODEL", "AGENTCRON_OPENAI_BASE_URL", "AGENTCRON_HOME"]

            def test_inside():
                assert [name for name in OUTSIDE if name in os.environ] == []
                assert os.environ["AGENTCRON_TEST_PG"] == "kept"
                child = subprocess.run(
                    [sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"],
                    capture_output=True, text=True, check=True, timeout=30,
                )
                seen = json.loads(child.stdout)
                assert [name for name in OUTSIDE if name in seen] == []
                assert seen["AGENTCRON_TEST_PG"] == "kept"
            """
        )
    )
    outside = {
        "OPENAI_API_KEY": "sk-set-outside",
        "ANTHROPIC_API_KEY": "sk-ant-set-outside",
        "AGENTCRON_OPENAI_API_KEY": "sk-set-outside",
        "AGENTCRON_MODEL": "openai:gpt-4o",
        "AGENTCRON_OPENAI_BASE_URL": "https://api.openai.com/v1",
        "AGENTCRON_HOME": str(tmp_path / "developer"),
        "AGENTCRON_TEST_PG": "kept",
    }
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-W", "error", "-p", "no:cacheprovider",
            "-p", "tests.guard", "--rootdir", str(tmp_path),
            str(tmp_path / "test_inside.py"),
        ],
        cwd=tmp_path,
        # Only the guard: other installed plugins would cost seconds to load.
        env=os.environ | outside | {"PYTHONPATH": path, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
