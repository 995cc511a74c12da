"""A small file system of a test's own, to fill: a tmpfs (mounting needs root, on Linux).

SQLite says 'disk is full' only for a real ENOSPC: a file size limit (RLIMIT_FSIZE) makes
it report an I/O error instead, so the tests that need a full disk use one of these.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """``folder``, made and mounted as a tmpfs of ``size`` (e.g. '512k'); the test is
    skipped where mounting is not allowed."""
    folder.mkdir()
    mount = shutil.which("mount")
    if os.geteuid() != 0 or mount is None or not sys.platform.startswith("linux"):
        pytest.skip("a full disk is simulated with a tmpfs, which needs root on Linux")
    made = subprocess.run(
        [mount, "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path) -> Path:
    """Write into ``folder`` until its file system has no space left; the file written."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        for chunk in (65536, 4096, 1):  # down to the last byte: a WAL frame fits in 4 KB
            try:
                while True:
                    out.write(bytes(chunk))
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
    return filler
