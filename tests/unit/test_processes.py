"""Worker ids name their host and pid; a worker whose process on this machine is gone is
told apart from a live one, and one elsewhere is never judged from here."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest

from agentcron.processes import ProcessName, gone, process_of, worker_name


def test_a_worker_name_says_where_it_runs() -> None:
    assert process_of(worker_name()) == ProcessName(socket.gethostname(), os.getpid())


@pytest.mark.parametrize("worker_id", ["w1", "host:pid:abc", "host:12", ":12:abc", "host:12:"])
def test_an_id_that_names_no_process(worker_id: str) -> None:
    assert process_of(worker_id) is None
    assert not gone(worker_id)


def test_a_finished_process_is_gone_and_this_one_is_not() -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    host = socket.gethostname()
    assert gone(f"{host}:{child.pid}:abcdef")
    assert not gone(f"{host}:{os.getpid()}:abcdef")
    assert not gone(f"another-{host}:{child.pid}:abcdef")  # elsewhere: only its heartbeat tells
