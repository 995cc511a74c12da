"""The embedded store is its owner's alone: its folder 0700, its files 0600, whatever the
umask. Tasks hold webhook URLs, headers and instructions that other users of the machine
must not read.

Folder and database file are created so by whichever process opens the store first; SQLite
makes a database's ``-wal`` and ``-shm`` files with the database file's own mode, so they
are 0600 too. A store made open to others before is tightened when ``serve`` starts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
_OTHERS = 0o077  # group and world bits
SIDE_FILES = ("-wal", "-shm", "-journal", ".lock")
"""What lives next to a database file: SQLite's write-ahead log, shared memory and rollback
journal, and serve's lock (``bootstrap.StoreLock``)."""

log = logging.getLogger("agentcron.store")


def private_folder(folder: Path) -> None:
    """Create ``folder`` 0700 (its parents as usual) unless it exists.

    Raises what ``Path.mkdir`` raises; the caller words it.
    """
    try:
        folder.mkdir(mode=FOLDER_MODE)
    except FileNotFoundError:
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
    except FileExistsError:
        if not folder.is_dir():
            raise  # a file of that name
        return
    os.chmod(folder, FOLDER_MODE)  # the umask may have taken bits away


def private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists (SQLite takes an empty file for a new
    database)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except OSError:
        return  # it exists, or the folder cannot be written: opening the store says so
    try:
        os.fchmod(descriptor, FILE_MODE)
    finally:
        os.close(descriptor)


def tighten_store(database: Path) -> None:
    """Tighten whichever of the store's folder, database and side files are open to other
    users: a store made before stores were private (``serve`` does it as it starts, where
    its log says so; a command's one-line output stays as it is)."""
    side_files = [database.with_name(database.name + suffix) for suffix in SIDE_FILES]
    for path in (database.parent, database, *side_files):
        with contextlib.suppress(FileNotFoundError):
            tighten(path)


def tighten(path: Path) -> None:
    """Take the group and world bits off ``path`` if it has any and is ours, saying so; if it
    is another user's, only say so."""
    status = path.stat()
    mode = stat.S_IMODE(status.st_mode)
    if not mode & _OTHERS:
        return
    if status.st_uid != os.geteuid():
        log.warning(
            "%s is open to other users (mode %03o) and belongs to another user; "
            "agentcron leaves it as it is",
            path,
            mode,
        )
        return
    try:
        os.chmod(path, mode & ~_OTHERS)
    except OSError as error:
        log.warning("%s is open to other users (mode %03o): %s", path, mode, error.strerror)
        return
    log.warning("%s was open to other users (mode %03o); made it %03o", path, mode, mode & ~_OTHERS)
