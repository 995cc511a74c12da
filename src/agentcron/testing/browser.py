"""Debian's Chromium, started headless for agentcron's web page tests and benchmarks.

Playwright drives it with ``executable_path`` (no browser of Playwright's own is fetched).
The flags keep it from reaching out to the network at all: on a closed machine its
background connections would fail, many at a time, at every start.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

FLAGS = (
    "--headless",
    "--no-sandbox",  # tests run as root in containers, where the sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def chromium_path() -> str:
    """Where Chromium is: ``AGENTCRON_TEST_CHROMIUM``, else ``chromium`` on the PATH."""
    path = os.environ.get("AGENTCRON_TEST_CHROMIUM") or shutil.which("chromium")
    if not path:
        raise RuntimeError(
            "Chromium is not installed: 'apt-get install chromium' (make test and .ci/run do "
            "it), or set AGENTCRON_TEST_CHROMIUM to a Chromium binary."
        )
    return path


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium for the ``with`` block, closed after."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - a test dependency

    with tempfile.TemporaryDirectory(prefix="agentcron-chromium-") as home:
        # its own config and cache folders: Chromium writes there beside its profile
        env: dict[str, str | float | bool] = {
            **os.environ,
            "XDG_CONFIG_HOME": f"{home}/config",
            "XDG_CACHE_HOME": f"{home}/cache",
        }
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), headless=True, args=list(FLAGS), env=env
            )
            try:
                yield browser
            finally:
                browser.close()
