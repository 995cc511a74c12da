"""Which process serves the store: a worker's id names its host and pid (``host:pid:suffix``),
so that ``agentcron status`` can say which process it is, and tell one that died without
saying so (killed, or its machine rebooted) from one that lives, before its heartbeat ages."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessName:
    """Where a worker runs, read back from its id."""

    host: str
    pid: int


def worker_name() -> str:
    """This process's worker id: host, pid and a random suffix (a pid is reused, in time)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def process_of(worker_id: str) -> ProcessName | None:
    """The host and pid in a worker id, or None for an id not made by ``worker_name``."""
    host, _, rest = worker_id.partition(":")
    pid, _, suffix = rest.partition(":")
    if not host or not pid.isdigit() or not suffix:
        return None
    return ProcessName(host, int(pid))


def gone(worker_id: str) -> bool:
    """Whether the worker ran on this machine and its process no longer exists; a worker
    elsewhere cannot be checked from here, and only its heartbeat's age tells."""
    process = process_of(worker_id)
    if process is None or process.host != socket.gethostname():
        return False
    try:
        os.kill(process.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, as another user's process
        return False
    return False
