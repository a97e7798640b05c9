"""The warm runner `tubewiki server start` keeps beside its Prefect server.

    python -m flows.runner --socket PATH --api URL

It imports Prefect and the flows and loads spaCy once, then waits on a Unix
socket. For each command a CLI hands over (`tubewiki.handoff`) it forks twice:
a watcher that checks the command may run here, and the command itself, which
takes over the CLI's terminal, folder, environment and arguments and runs the
CLI as the CLI process would. The watcher passes Ctrl-C on, ends the command
if its CLI goes away, and sends back the exit code.

The runner serves only commands under its own Prefect settings (Prefect reads
them once, at import) and its own code (`handoff.code_stamp`); it declines the
rest, which then run in their own process. It starts no thread before it
forks, so each fork is a clean copy.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import select
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flows.server import healthy, profile_url
from flows.settings import DEFAULTS, QUIET, apply_defaults, apply_quiet
from tubewiki.errors import INTERRUPTED, INTERRUPTED_EXIT
from tubewiki.handoff import INTERRUPT, code_stamp, send

POLL_S = 0.05
MAX_REQUEST = 4 * 1024 * 1024


def prefect_env(env: Mapping[str, str]) -> dict[str, str]:
    """The variables Prefect reads at import, as a flow command would have them. The
    API URL is left out: a command that names none uses the background server too."""
    merged = {**DEFAULTS, **QUIET, **env}
    return {
        key: value
        for key, value in merged.items()
        if (key.startswith("PREFECT_") or key == "DO_NOT_TRACK") and key != "PREFECT_API_URL"
    }


def warm() -> None:
    """What the flow commands import and load before their first task: FastAPI's
    encoder too, which every flow call imports for its parameters (0.3-0.5 s)."""
    import fastapi.encoders  # noqa: F401
    import prefect.flow_engine
    import prefect.task_engine  # noqa: F401
    import typer  # noqa: F401

    import flows.backfill
    import flows.ingest
    import flows.rebuild  # noqa: F401
    from tubewiki.extract.words import everyday
    from tubewiki.nlp import load_nlp

    load_nlp()
    everyday("the")


class Runner:
    """The forking server: its state is what every command is checked against."""

    def __init__(self, path: Path, api_url: str) -> None:
        self.path = path
        self.api_url = api_url
        self.pid = os.getpid()
        self.code = code_stamp()
        self.prefect = prefect_env(os.environ)

    def serve(self) -> None:
        if threading.active_count() != 1:
            raise SystemExit("tubewiki runner: a thread started while warming; forking is unsafe")
        self.path.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        mask = os.umask(0o077)  # the socket is this user's alone
        try:
            listener.bind(os.fspath(self.path))
        finally:
            os.umask(mask)
        listener.listen(16)
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # watchers are reaped by the kernel
        signal.signal(signal.SIGTERM, self._stop)
        gc.freeze()  # what warming built is shared with every fork, never copied
        print(f"tubewiki runner {os.getpid()} ready on {self.path}", flush=True)
        while True:
            connection, _ = listener.accept()
            if os.fork() == 0:
                listener.close()
                _default_signals()
                try:
                    self._watch(connection)
                except BaseException:
                    traceback.print_exc()
                finally:
                    os._exit(0)
            connection.close()

    def _stop(self, signum: int, frame: object) -> None:
        self.path.unlink(missing_ok=True)
        os._exit(0)

    def _watch(self, connection: socket.socket) -> None:
        """The watcher: check the request, fork the command, relay its end."""
        request, fds = _request(connection)
        reason, notice = self._declined(request)
        if reason:
            for fd in fds:
                os.close(fd)
            send(connection, {"declined": reason, "notice": notice})
            return
        pid = os.fork()
        if pid == 0:
            connection.close()
            _run(request, fds)
        for fd in fds:
            os.close(fd)
        with contextlib.suppress(OSError):  # a CLI already gone: `_relay` ends the command
            send(connection, {"pid": pid})
        code = _relay(connection, pid)
        said = f"exited {code}" if code >= 0 else f"killed by signal {-code}"
        print(f"{request['argv'][0]} (pid {pid}) {said}", flush=True)
        with contextlib.suppress(OSError):  # a CLI that went away hears nothing
            send(connection, {"exit": code})

    def _declined(self, request: dict[str, Any]) -> tuple[str, bool]:
        """Why this runner cannot run the command, and whether the user should hear it."""
        if request.get("code") != self.code:
            return (
                f"the background runner (pid {self.pid}) was started with other "
                "tubewiki code or libraries, so this command runs on its own: restart "
                "it with `tubewiki server stop` and `tubewiki server start`",
                True,
            )
        env = request["env"]
        if prefect_env(env) != self.prefect:
            return "the command's Prefect settings differ from the runner's", False
        if (env.get("PREFECT_API_URL") or profile_url(env) or self.api_url) != self.api_url:
            return "the command names another Prefect API", False
        if not healthy(self.api_url):
            return "the background Prefect server does not answer", False
        return "", False


def _default_signals() -> None:
    for signum in (signal.SIGCHLD, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _request(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """The CLI's request (one JSON line) and its stdin, stdout and stderr."""
    data, fds, _, _ = socket.recv_fds(connection, MAX_REQUEST, 3)
    while not data.endswith(b"\n"):
        more = connection.recv(MAX_REQUEST)
        if not more:
            raise ConnectionError("the CLI went away before its request was complete")
        data += more
    if len(fds) != 3:
        raise ConnectionError(f"expected the CLI's 3 standard streams, got {len(fds)}")
    return json.loads(data), fds


def _relay(connection: socket.socket, pid: int) -> int:
    """Pass the CLI's Ctrl-C on, end the command if the CLI goes; its exit code, or
    minus the signal that killed it."""
    listening = True
    while True:
        if listening and select.select([connection], [], [], POLL_S)[0]:
            data = connection.recv(64)
            if not data:
                listening = False
                os.kill(pid, signal.SIGTERM)  # as if the CLI process had been killed
            elif INTERRUPT.strip() in data:
                os.kill(pid, signal.SIGINT)
        elif not listening:
            select.select([], [], [], POLL_S)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)  # -N: killed by signal N


def _run(request: dict[str, Any], fds: list[int]) -> None:
    """The command: in the CLI's place, then the CLI's own `main`, which never returns."""
    try:
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        sys.stdin = _stream(0, "r", request["encoding"], "strict")
        sys.stdout = _stream(1, "w", request["encoding"], "strict")
        sys.stderr = _stream(2, "w", request["encoding"], "backslashreplace")
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        apply_defaults()
        sys.argv = ["tubewiki", *request["argv"]]
        from tubewiki.cli import main

        main()
    except KeyboardInterrupt:  # Ctrl-C before the CLI's own boundary was in place
        sys.stderr.write(INTERRUPTED + "\n")
        sys.stderr.flush()
        os._exit(INTERRUPTED_EXIT)
    except BaseException:
        traceback.print_exc()
    os._exit(1)


def _stream(fd: int, mode: str, encoding: str, errors: str) -> io.TextIOWrapper:
    """A standard stream on `fd`, buffered as Python buffers its own."""
    interactive = os.isatty(fd)
    binary = open(fd, mode + "b", closefd=False)  # noqa: SIM115  (lives as long as we do)
    return io.TextIOWrapper(
        binary,
        encoding=encoding,
        errors=errors,
        line_buffering=interactive or fd == 2,
        write_through=fd == 2,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", type=Path, required=True)
    parser.add_argument("--api", required=True)
    args = parser.parse_args()
    apply_quiet()
    os.environ["PREFECT_API_URL"] = args.api
    warm()
    Runner(args.socket, args.api).serve()


if __name__ == "__main__":
    main()
