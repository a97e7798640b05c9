"""Backfill workers and their fork server end with the process that owns the pool.

A pool's owner killed with SIGKILL never closes the pool's queues, so without
the lifeline its workers would wait for a next task forever, and keep the fork
server (which holds a copy of spaCy) alive with them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="reads /proc; fork servers are POSIX"),
]

HELPER = Path(__file__).parent / "helpers" / "hold_workers.py"
ROOT = Path(__file__).parent.parent


def alive(pid: int) -> bool:
    """Running, not gone or a zombie waiting for its parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_killing_the_owner_ends_its_workers_and_their_fork_server(
    prefect_harness: None, tmp_path: Path
) -> None:
    from prefect.settings import get_current_settings

    env = {**os.environ, "PREFECT_API_URL": str(get_current_settings().api.url)}
    owner = subprocess.Popen(
        [sys.executable, str(HELPER), str(tmp_path)], cwd=ROOT, env=env, start_new_session=True
    )
    records = [tmp_path / "worker0", tmp_path / "worker1"]
    try:
        started = wait_for(lambda: all(r.exists() and r.read_text() for r in records), 180)
        assert started, "the two workers never started"
        pairs = [tuple(map(int, r.read_text().split())) for r in records]
        workers = {pid for pid, _ in pairs}
        servers = {parent for _, parent in pairs}
        assert len(workers) == 2 and len(servers) == 1 and owner.pid not in servers
        assert all(alive(pid) for pid in workers | servers)

        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=30)
        gone = wait_for(lambda: not any(alive(pid) for pid in workers | servers), 30)
        assert gone, f"still running after their owner died: {workers | servers}"
    finally:
        if owner.poll() is None:
            os.killpg(owner.pid, signal.SIGKILL)
