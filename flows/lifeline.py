"""Processes tubewiki starts end with it, even when it is killed with SIGKILL.

With no Prefect server configured, Prefect starts a temporary API server
(uvicorn, about 220 MB) in a child process and stops it at exit, but a killed
process runs no exit handler, and the server then runs for good. So each such
child gets a watchdog: a tiny process that waits for the end of a pipe only
this process holds (the kernel closes it however this process dies), then
stops the child. The backfill workers use the same idea (`flows.workers`).

The CLI does not need this: it starts its temporary server itself
(`flows.server`, which dies with its parent by PR_SET_PDEATHSIG). The guard is
for flows run outside the CLI (`local_run()` with no API configured), where
Prefect still starts its own.
"""

from __future__ import annotations

import subprocess
import sys
import threading

from prefect.server.api.server import SubprocessASGIServer

# Runs as `python -c`: holds the children by pidfd (no pid reuse can fool it),
# waits for EOF on stdin, then asks them to stop, and kills what is left after GRACE s.
_WATCHDOG = """
import os, signal, sys, time
GRACE = 3.0
held = []
for arg in sys.argv[1:]:
    pid = int(arg)
    try:
        held.append((pid, os.pidfd_open(pid)))
    except (AttributeError, OSError):
        held.append((pid, None))
sys.stdin.buffer.read()
def send(pid, fd, sig):
    try:
        signal.pidfd_send_signal(fd, sig) if fd is not None else os.kill(pid, sig)
        return True
    except (ProcessLookupError, OSError):
        return False
left = [(pid, fd) for pid, fd in held if send(pid, fd, signal.SIGTERM)]
deadline = time.monotonic() + GRACE
while left and time.monotonic() < deadline:
    time.sleep(0.1)
    left = [(pid, fd) for pid, fd in left if send(pid, fd, 0)]
for pid, fd in left:
    send(pid, fd, signal.SIGKILL)
"""

_watchdogs: list[subprocess.Popen[bytes]] = []
_lock = threading.Lock()


def guard(pid: int) -> None:
    """Stop process `pid` when this process ends, however it ends."""
    watchdog = subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(pid)],
        stdin=subprocess.PIPE,
        start_new_session=True,  # a Ctrl-C or a kill of our process group spares it
    )
    with _lock:
        _watchdogs.append(watchdog)  # its stdin stays open as long as we live


class GuardedServer(SubprocessASGIServer):
    """Prefect's temporary API server, guarded by a watchdog from the moment it starts."""

    def _run_uvicorn_command(self) -> subprocess.Popen[bytes]:
        process: subprocess.Popen[bytes] = super()._run_uvicorn_command()
        guard(process.pid)
        return process


def guard_temporary_server() -> None:
    """Make the temporary server Prefect starts on first use (if any) a guarded one.

    Prefect looks its temporary server up with `SubprocessASGIServer()`, one
    instance per port (None: any free port), kept in a class-level registry;
    registering ours first makes Prefect start and use it, when it needs one.
    """
    if None not in SubprocessASGIServer._instances:
        GuardedServer()
