"""The embedded store's folder and files are private to their owner, whatever the umask."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentcron.bootstrap import Engine, StoreLock
from agentcron.config import Settings
from agentcron.store import SqlStore, tighten_store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o000, 0o022, 0o077], ids=["umask-000", "umask-022", "umask-077"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


async def test_a_new_store_is_private_whatever_the_umask(umask: int, tmp_path: Path) -> None:
    home = tmp_path / "data" / "agentcron"
    database = home / "agentcron.db"
    store = SqlStore(f"sqlite:///{database}")
    try:
        await store.migrate()
        async with store.transaction() as repositories:  # a write: the WAL is in use
            await repositories.tasks.next_due()
        lock = StoreLock(database)
        files = [database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))]
        assert all(path.exists() for path in files)
        assert mode(home) == 0o700
        assert {path.name: mode(path) for path in [*files, Path(f"{database}.lock")]} == {
            "agentcron.db": 0o600,
            "agentcron.db-wal": 0o600,
            "agentcron.db-shm": 0o600,
            "agentcron.db.lock": 0o600,
        }
        lock.release()
    finally:
        await store.close()


async def serve_once(database: Path) -> None:
    """Start and stop the engine serve runs on the store."""
    engine = Engine(Settings(timezone="UTC"), store=SqlStore(f"sqlite:///{database}"))
    await engine.start()
    await engine.stop(grace=0.1)


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_serve_tightens_an_open_folder_and_files_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    database = home / "agentcron.db"
    await serve_once(database)
    lock = Path(f"{database}.lock")
    for path, loose in ((home, 0o755), (database, 0o644), (lock, 0o664)):
        path.chmod(loose)
    store = SqlStore(f"sqlite:///{database}")  # a command leaves an existing store alone
    await store.migrate()
    await store.close()
    assert (mode(home), mode(database), mode(lock)) == (0o755, 0o644, 0o664)
    assert warnings(caplog) == []
    wal, shm = (Path(f"{database}{suffix}") for suffix in ("-wal", "-shm"))
    await serve_once(database)  # SQLite made the WAL's files as open as the database was
    assert [mode(p) for p in (home, database, lock)] == [0o700, 0o600, 0o600]
    assert warnings(caplog) == [
        f"{home} was open to other users (mode 755); made it 700",
        f"{database} was open to other users (mode 644); made it 600",
        f"{wal} was open to other users (mode 644); made it 600",
        f"{shm} was open to other users (mode 644); made it 600",
        f"{lock} was open to other users (mode 664); made it 600",
    ]


async def test_a_private_store_is_left_as_it_is_without_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    await serve_once(home / "agentcron.db")
    home.chmod(0o500)  # read-only for its owner too: tightening adds no bit
    try:
        tighten_store(home / "agentcron.db")
        assert mode(home) == 0o500
    finally:
        home.chmod(0o700)
    assert warnings(caplog) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
async def test_another_user_s_open_folder_is_only_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "shared"
    home.mkdir()
    home.chmod(0o777)
    os.chown(home, 65534, 65534)  # nobody's
    await serve_once(home / "agentcron.db")
    assert mode(home) == 0o777
    assert (
        f"{home} is open to other users (mode 777) and belongs to another user; "
        "agentcron leaves it as it is" in warnings(caplog)
    )
    assert mode(home / "agentcron.db") == 0o600
