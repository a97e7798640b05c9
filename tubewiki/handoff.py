"""Hand a command to the warm runner that `tubewiki server start` keeps, when it is up.

A command's own process spends seconds importing Prefect and loading spaCy
before any work. The runner (`flows.runner`) has done both once; for each
command it forks a copy of itself that runs the command with this process's
arguments, environment, working folder and terminal (its file descriptors,
passed over a Unix socket), so the output, the exit code and Ctrl-C are what
they would be here. When the runner is absent, or was started under other
Prefect settings or other code, the command runs here as usual.

This module runs before Typer, Prefect or spaCy is imported, and imports none of them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from tubewiki.errors import INTERRUPTED, INTERRUPTED_EXIT
from tubewiki.user_state import state_home

# Commands that run flows, the ones whose start-up the runner saves.
HANDED_OVER = frozenset({"ingest", "backfill", "rebuild"})
SOCKET_NAME = "runner.sock"
LOG_NAME = "runner.log"
MAX_SOCKET_PATH = 100  # sockaddr_un holds about 104-108 bytes, by platform
INTERRUPT = b"i\n"
_PACKAGE = Path(__file__).resolve().parent
CODE_DIRS = (_PACKAGE, _PACKAGE.parent / "flows", _PACKAGE.parent / "templates")


def runner_socket() -> Path:
    """The runner's socket: in the state folder, or in the temporary folder (named
    after the state folder) when that path is too long for a Unix socket."""
    home = state_home()
    path = home / SOCKET_NAME
    if len(os.fsencode(path)) <= MAX_SOCKET_PATH:
        return path
    key = hashlib.sha256(os.fsencode(home.resolve())).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"tubewiki-{os.getuid()}-{key}.sock"


def code_stamp(folders: Iterable[Path] = CODE_DIRS, paths: Iterable[str] = sys.path) -> str:
    """tubewiki's code by file stat, and the installed distributions by name and version:
    what a runner started earlier must share with a command it runs. Stats only,
    so it costs a command a millisecond or two."""
    digest = hashlib.sha256(sys.executable.encode() + b"\0")
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if path.suffix in {".pyc", ".pyo"} or "__pycache__" in path.parts:
                continue
            with_stat = path.stat()
            digest.update(f"{path}\0{with_stat.st_size}\0{with_stat.st_mtime_ns}\0".encode())
    installed: set[str] = set()
    for entry in paths:  # not the entries themselves: `-m` and a script differ in the first
        try:
            installed.update(n for n in os.listdir(entry or ".") if n.endswith(".dist-info"))
        except OSError:
            continue
    digest.update("\0".join(sorted(installed)).encode())
    return digest.hexdigest()[:16]


def send(connection: socket.socket, message: Mapping[str, Any]) -> None:
    connection.sendall(json.dumps(message).encode() + b"\n")


def receive(reader: IO[bytes]) -> dict[str, Any] | None:
    """The next message, or None when the other side has gone."""
    line = reader.readline()
    if not line:
        return None
    message = json.loads(line)
    return message if isinstance(message, dict) else None


def runs_flows(args: list[str]) -> bool:
    """A flow command, quiet (`--verbose` sets Prefect's log level, which Prefect reads
    when it is imported) and not asking for `--help`."""
    return (
        bool(args)
        and args[0] in HANDED_OVER
        and not any(arg in {"-v", "--verbose", "--help"} for arg in args[1:])
    )


def wants_own_process(args: list[str]) -> bool:
    """Commands that must run here: all but quiet flow commands, and any without fork."""
    return not runs_flows(args) or not hasattr(os, "fork") or not hasattr(socket, "send_fds")


def hand_off(args: list[str]) -> int | None:
    """Run the command in the warm runner and return its exit code; None to run it here."""
    if wants_own_process(args):
        return None
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError:
        return None  # a closed standard stream cannot be passed on
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with connection:
        try:
            connection.connect(os.fspath(runner_socket()))
        except OSError:
            return None  # no runner: the usual case
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        interrupted: list[int] = []

        def interrupt(signum: int, frame: object) -> None:
            interrupted.append(signum)
            with contextlib.suppress(OSError):
                connection.sendall(INTERRUPT)  # the runner passes Ctrl-C on to the command

        previous = signal.signal(signal.SIGINT, interrupt)  # from now on: nothing is lost
        try:
            code = _run_there(connection, args)
        finally:
            signal.signal(signal.SIGINT, previous)
        if code is None and interrupted:  # Ctrl-C before the runner declined
            sys.stderr.write(INTERRUPTED + "\n")
            return INTERRUPTED_EXIT
        return code


def _run_there(connection: socket.socket, args: list[str]) -> int | None:
    """Send the command; its exit code, or None when the runner declines it."""
    try:
        request = {
            "argv": args,
            "env": dict(os.environ),
            "cwd": os.getcwd(),  # raises when the folder was deleted
            "code": code_stamp(),
            "encoding": sys.stdout.encoding,
        }
        socket.send_fds(connection, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
    except OSError:
        return None
    with connection.makefile("rb") as reader:
        reply = receive(reader)
        if reply is None or "declined" in reply:
            if reply is not None and reply.get("notice"):
                sys.stderr.write(f"tubewiki: {reply['declined']}\n")
            return None
        done = receive(reader)
    code = None if done is None else int(done["exit"])
    if code is None or code < 0:
        how = "stopped" if code is None else f"was killed by signal {-code}"
        sys.stderr.write(
            f"error: this command {how} in tubewiki's background runner (see "
            f"{state_home() / LOG_NAME}); the vault is unchanged or fully updated: run "
            "the command again\n"
        )
        return 1 if code is None else 128 - code
    return code


def main() -> None:
    """The `tubewiki` console script: the warm runner if it takes the command, else
    the CLI in this process, with Prefect's temporary server already starting."""
    args = sys.argv[1:]
    code = hand_off(args)
    if code is not None:
        os._exit(code)
    if runs_flows(args):
        from flows.server import launch_early
        from flows.settings import apply_quiet

        apply_quiet()  # as `cli_common.flow_session` does, before the server inherits it
        launch_early()
    from tubewiki.cli import main as run_here

    run_here()
