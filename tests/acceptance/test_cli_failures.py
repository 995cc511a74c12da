"""Failures as a person meets them at the command line: one line on stderr saying what is
wrong and what to do (one JSON object with ``--json``), never a traceback, and the exit
status of the error's family: 2 for the person's mistake, 78 for configuration, 1 for a
runtime failure."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.test_cli_schedule import agentcron as run_command
from tests.support.disk import fill, small_disk
from tests.support.local_http import free_port

MISTAKE, CONFIGURATION, RUNTIME = 2, 78, 1
LS = ("ls",)
ADD = ("add", "t", "--when", "in 1 hour")
"""A command that writes."""
TOO_BIG = "99999999999999999999999"
"""An id larger than any database integer."""


def agentcron(
    *args: str, env: dict[str, str], cwd: Path, as_json: bool = False
) -> subprocess.CompletedProcess[str]:
    """The command in ``cwd``, in UTC, with ``--json`` when asked."""
    return run_command(
        *args, *(["--json"] if as_json else []), env={"AGENTCRON_TIMEZONE": "UTC", **env}, cwd=cwd
    )


def error_of(result: subprocess.CompletedProcess[str], status: int, *, as_json: bool) -> str:
    """The one error message the command printed, after checking how it printed it."""
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode == status, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    if not as_json:
        assert lines[0].startswith("error: "), result.stderr
        return lines[0].removeprefix("error: ")
    document = json.loads(lines[0])
    assert list(document) == ["error"]
    assert sorted(document["error"]) == ["code", "message"]
    assert isinstance(document["error"]["code"], str)
    assert document["error"]["code"]
    message: str = document["error"]["message"]
    return message


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return {"AGENTCRON_HOME": str(home)}


@pytest.fixture
def store(home: Path, env: dict[str, str], tmp_path: Path) -> Path:
    """An agentcron store made the usual way; its SQLite file."""
    made = agentcron(*LS, env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    return home / "agentcron.db"


# 1. A store file that is not an SQLite database.


@pytest.mark.parametrize("as_json", [False, True], ids=["line", "json"])
@pytest.mark.parametrize(
    "content",
    [random.Random(7).randbytes(8192), b"shopping list: milk, eggs\n" * 20],
    ids=["random-bytes", "text-file"],
)
def test_a_file_that_is_not_a_store_is_configuration(
    content: bytes, as_json: bool, home: Path, env: dict[str, str], tmp_path: Path
) -> None:
    home.mkdir()
    (home / "agentcron.db").write_bytes(content)
    result = agentcron(*LS, env=env, cwd=tmp_path, as_json=as_json)
    message = error_of(result, CONFIGURATION, as_json=as_json)
    assert str(home / "agentcron.db") in message
    assert "move it away" in message
    assert "AGENTCRON_HOME" in message
    assert "AGENTCRON_DATABASE_URL" in message
    if as_json:
        assert json.loads(result.stderr)["error"]["code"] == "configuration"


# 2. A store that cannot be written, or a home that cannot be made.


@pytest.fixture
def read_only(store: Path) -> Iterator[Path]:
    """The store, read-only in a way its owner cannot bypass: root ignores permission bits,
    so for root the file is made immutable instead (``chattr +i``)."""
    if os.geteuid() != 0:
        store.parent.chmod(0o500)
        try:
            yield store
        finally:
            store.parent.chmod(0o700)
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("running as root, which writes through permission bits, and no chattr")
    made = subprocess.run([chattr, "+i", str(store)], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"running as root and chattr +i fails here: {made.stderr.strip()}")
    try:
        yield store
    finally:
        subprocess.run([chattr, "-i", str(store)], check=True)


def test_a_read_only_store_is_configuration(
    read_only: Path, env: dict[str, str], tmp_path: Path
) -> None:
    message = error_of(agentcron(*ADD, env=env, cwd=tmp_path), CONFIGURATION, as_json=False)
    assert str(read_only) in message
    assert "cannot be written" in message
    assert "AGENTCRON_HOME" in message


@pytest.mark.parametrize(
    "relative_home", ["a-file/home", "a-file"], ids=["parent-is-a-file", "home-is-a-file"]
)
def test_a_home_that_cannot_be_a_folder_is_configuration(
    relative_home: str, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder\n")
    home = tmp_path / relative_home
    result = agentcron(*LS, env={"AGENTCRON_HOME": str(home)}, cwd=tmp_path)
    message = error_of(result, CONFIGURATION, as_json=False)
    assert str(tmp_path / "a-file") in message
    assert "set AGENTCRON_HOME to a folder you can write" in message


# 3. PostgreSQL that cannot be reached (only loopback is ever contacted).


def test_postgresql_not_listening_is_a_runtime_failure(tmp_path: Path) -> None:
    port = free_port()
    url = f"postgresql://postgres@127.0.0.1:{port}/test?connect_timeout=2"
    result = agentcron(*LS, env={"AGENTCRON_DATABASE_URL": url}, cwd=tmp_path)
    message = error_of(result, RUNTIME, as_json=False)
    assert message.startswith(f"Cannot reach PostgreSQL at 127.0.0.1:{port}")
    assert "is it running?" in message


def test_an_unknown_postgresql_host_is_configuration(tmp_path: Path) -> None:
    # .invalid never resolves (RFC 2606): the lookup fails and nothing is contacted.
    url = "postgresql://postgres@no-such-host.invalid/test?connect_timeout=2"
    result = agentcron(*LS, env={"AGENTCRON_DATABASE_URL": url}, cwd=tmp_path)
    message = error_of(result, CONFIGURATION, as_json=False)
    assert "'no-such-host.invalid'" in message
    assert "AGENTCRON_DATABASE_URL" in message


# 4. A database URL agentcron cannot use.


@pytest.mark.parametrize("as_json", [False, True], ids=["line", "json"])
@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://u@127.0.0.1/x", "'mysql', which agentcron does not support"),
        ("not a url", "'not a url' is malformed"),
        ("postgresql://:::", "'postgresql://:::' is malformed"),
    ],
    ids=["unsupported", "not-a-url", "bad-port"],
)
def test_an_unusable_database_url_is_configuration(
    url: str, fragment: str, as_json: bool, env: dict[str, str], tmp_path: Path
) -> None:
    result = agentcron(
        *LS, env=env | {"AGENTCRON_DATABASE_URL": url}, cwd=tmp_path, as_json=as_json
    )
    message = error_of(result, CONFIGURATION, as_json=as_json)
    assert fragment in message
    assert "use sqlite:///PATH or postgresql://USER@HOST/DATABASE" in message
    if as_json:
        assert json.loads(result.stderr)["error"]["code"] == "configuration"


# 5. An agentcron.toml that cannot be read.


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'timezone = "UTC\nuser = = 3\n', "is not valid TOML"),
        (bytes(range(256)), "cannot be read"),
    ],
    ids=["syntax-error", "binary"],
)
def test_a_broken_agentcron_toml_is_configuration(
    content: bytes, fragment: str, env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "agentcron.toml").write_bytes(content)
    message = error_of(agentcron(*LS, env=env, cwd=tmp_path), CONFIGURATION, as_json=False)
    assert message.startswith(f"agentcron.toml in {tmp_path} {fragment}")
    assert message.endswith("fix or remove it.")


# 6. A setting given as JSON in the environment that is not JSON.


@pytest.mark.parametrize("variable", ["AGENTCRON_ACTIONS", "AGENTCRON_MCP_SERVERS"])
def test_a_setting_that_is_not_json_is_configuration(
    variable: str, env: dict[str, str], tmp_path: Path
) -> None:
    result = agentcron(*LS, env=env | {variable: "{not json"}, cwd=tmp_path)
    message = error_of(result, CONFIGURATION, as_json=False)
    assert message.startswith(f"{variable} is not valid JSON (")
    assert "JSON objects, e.g." in message


# 7. An id too large for the database is no such task, on either database.


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("show", TOO_BIG), f"There is no task {TOO_BIG};"),
        (("run-show", TOO_BIG), f"There is no run {TOO_BIG};"),
        (("cancel", "9223372036854775808"), "There is no task 9223372036854775808;"),
    ],
    ids=["show", "run-show", "cancel-int64-max-plus-one"],
)
def test_an_id_too_large_is_not_found(
    args: tuple[str, ...], expected: str, database_url: str, tmp_path: Path
) -> None:
    result = agentcron(*args, env={"AGENTCRON_DATABASE_URL": database_url}, cwd=tmp_path)
    assert error_of(result, MISTAKE, as_json=False).startswith(expected)


def test_an_id_too_large_is_not_found_in_json(database_url: str, tmp_path: Path) -> None:
    result = agentcron(
        "show", TOO_BIG, env={"AGENTCRON_DATABASE_URL": database_url}, cwd=tmp_path, as_json=True
    )
    assert error_of(result, MISTAKE, as_json=True).startswith(f"There is no task {TOO_BIG};")
    assert json.loads(result.stderr)["error"]["code"] == "not_found"


# 8. A store that cannot take a write now: locked by another program, or a full disk.


def test_a_store_locked_past_the_busy_timeout_is_a_runtime_failure(
    store: Path, env: dict[str, str], tmp_path: Path
) -> None:
    holder = sqlite3.connect(store, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        result = agentcron(
            *ADD, env=env | {"AGENTCRON_STORE_BUSY_TIMEOUT_SECONDS": "0.2"}, cwd=tmp_path
        )
    finally:
        holder.close()
    message = error_of(result, RUNTIME, as_json=False)
    assert str(store) in message
    assert "is locked by another program" in message
    assert "retry" in message


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 512 KiB file system of its own."""
    with small_disk(tmp_path / "tiny", "512k") as folder:
        yield folder


def test_a_full_disk_is_a_runtime_failure(tiny_disk: Path, tmp_path: Path) -> None:
    env = {"AGENTCRON_HOME": str(tiny_disk)}
    assert agentcron(*LS, env=env, cwd=tmp_path).returncode == 0
    database = tiny_disk / "agentcron.db"
    # Kept open, this connection keeps the write-ahead log and its index in place, so the
    # write that finds the disk full is the task's, not the creation of those files.
    keeper = sqlite3.connect(database)
    try:
        keeper.execute("SELECT count(*) FROM tasks").fetchall()
        fill(tiny_disk)
        result = agentcron(*ADD, env=env, cwd=tmp_path)
    finally:
        keeper.close()
    message = error_of(result, RUNTIME, as_json=False)
    assert message == f"The disk holding {database} is full; free some space and retry."


# 10. Anything unexpected is one line too (here: an in-house action that fails to import).


def test_an_unexpected_error_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "broken_action.py").write_text(
        "from pydantic import BaseModel\n"
        "from agentcron.actions import Action\n\n"
        "class Nothing(BaseModel):\n    pass\n\n"
        "class Broken(Action):\n"
        "    name = 'broken'\n"
        "    payload_model = Nothing\n\n"
        "    def check(self, payload):\n"
        "        raise ZeroDivisionError('in the check')\n\n"
        "    async def run(self, context):\n"
        "        raise NotImplementedError\n"
    )
    (tmp_path / "unloadable.py").write_text("raise ZeroDivisionError('in the module')\n")
    actions = '{"broken": "broken_action:Broken", "unloadable": "unloadable:Thing"}'
    env = env | {"AGENTCRON_ACTIONS": actions, "PYTHONPATH": str(tmp_path)}
    result = agentcron(*ADD, "--action", "broken", env=env, cwd=tmp_path)
    message = error_of(result, RUNTIME, as_json=False)
    assert message.startswith("unexpected ZeroDivisionError: in the check.")
    assert "AGENTCRON_TRACEBACK=1" in message
    # a plugin that cannot even be imported is the setup's to fix, and says which it is
    result = agentcron(*ADD, "--action", "unloadable", env=env, cwd=tmp_path)
    assert error_of(result, CONFIGURATION, as_json=False) == (
        "Action 'unloadable' (configured: unloadable:Thing) cannot be loaded: "
        "ZeroDivisionError: in the module"
    )
