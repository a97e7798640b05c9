"""Where the CLI's flow runs report: a configured API, tubewiki's background server,
or a temporary server started before Prefect is even imported.

Left to itself, Prefect starts its temporary server from inside the first flow
run: it imports `prefect.server.api.server` (1.6 s of imports, in a process
that serves nothing) and then waits about 4 s for the server to answer. The CLI
starts the same server process itself instead (uvicorn on Prefect's
`create_app`, as `SubprocessASGIServer` does), first thing, so its start-up
overlaps the imports and the spaCy load; Prefect then finds PREFECT_API_URL set
and never imports the server stack.

`tubewiki server start` keeps a Prefect server (`prefect server start`) running
in the background instead, recorded in tubewiki's state folder; every later
command uses it while it answers. Nothing here imports Prefect.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, Any

from flows import migrated
from flows.settings import prefect_package, profile_settings
from tubewiki.errors import ServerError
from tubewiki.handoff import LOG_NAME as RUNNER_LOG
from tubewiki.handoff import runner_socket
from tubewiki.user_state import state_home

HOST = "127.0.0.1"
OWNER_ENV = "TUBEWIKI_SERVER_OWNER"  # the CLI process a temporary server serves
RECORD_FILE = "server.json"
LOG_FILE = "server.log"
STOP_TIMEOUT_S = 15.0
STARTUP_FAILED = 3  # uvicorn's exit code when the app's start-up (or binding) fails
STARTUP_RETRIES = 3
POLL_S = 0.1
# What a server that lives for one command does not need, and skips at start-up
# (about a fifth of its start): registering Prefect's block types (it imports every
# installed collection to hash them; a flow run uses none), automations' triggers
# (nothing it serves can define one) and database vacuuming. It still records flow
# runs, task runs, events and artifacts. Nor does it need py-key-value's run-time
# type checks (beartype), whose violations are warnings no one would see: that
# library's own switch for them takes 7% off importing the server (farm-bench, 8
# pairs). The user's own settings win.
TEMPORARY_SERVER_DEFAULTS = {
    "PREFECT_API_BLOCKS_REGISTER_ON_START": "false",
    "PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "false",
    "PY_KEY_VALUE_DISABLE_BEARTYPE": "true",
}


def healthy(api_url: str, timeout: float = 1.0) -> bool:
    """True when a Prefect API answers its health check."""
    import urllib.request  # here: the CLI imports this module before it knows it must ask

    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def free_port(preferred: int = 0) -> int:
    """`preferred` when nothing listens there, else a port the kernel picks."""
    for port in dict.fromkeys((preferred, 0)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise ServerError(f"no free port on {HOST} for a Prefect server; free one and run again")


def startup_timeout() -> float:
    """Prefect's own setting for its temporary server (tubewiki defaults it to 90 s)."""
    try:
        return float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"))
    except ValueError:
        return 90.0


# --- the temporary server -----------------------------------------------------------------

# `python -m uvicorn`, with the cyclic garbage collector off until `temporary_app` has
# built the app: Prefect's server imports create objects by the hundred thousand and
# collecting on the way, for garbage there is none of, costs a fifth of the start-up.
# Prefect's server is imported before uvicorn starts, as uvicorn holds SIGTERM (the
# lifeline's signal, `_die_with_parent`) back until its app has started: a CLI killed
# during these seconds of imports then takes its server with it at once.
UVICORN_WITHOUT_GC = (
    "import gc; gc.disable(); import prefect.server.api.server; "
    "from uvicorn.main import main; main()"
)


# The requests a first flow run begins with, or read-only twins of them, in its order.
# First the client's version check: its router is the last but one, and FastAPI builds
# an included router's routes when a request first walks past it, so this builds them
# all (0.2 s). Then its flow and flow run: the first query of each costs a fresh
# database connection, its ORM queries compiled and its response models built. Task
# runs and artifacts come later in a run, when the server is idle anyway.
PRIMING_REQUESTS = (
    ("GET", "/admin/version"),
    ("POST", "/flows/filter"),
    ("POST", "/flow_runs/filter"),
)


def temporary_app() -> Any:
    """The temporary server's app factory (run by uvicorn, in the server's process):
    Prefect's own `create_app`, then the collector back on, with what start-up built
    frozen out of its way.

    What the imports built is frozen before `create_app`: Prefect ends it with a
    full collection (`final`, for FastAPI versions that copy routes), which
    otherwise walks every object the imports made (0.2 s of a 2.4 s start).

    Once started, the server primes itself (`PRIMING_REQUESTS`, in its own process
    and event loop) while the CLI still loads spaCy: the CLI's first flow run then
    finds it warm, most of a second sooner on an idle core.
    """
    import asyncio

    from prefect.server.api.server import create_app

    gc.freeze()
    app = create_app()
    started = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        _exit_if_orphaned()  # before a database migration that may take a while
        async with started(app) as state:
            priming = asyncio.create_task(_prime(app))
            yield state
            priming.cancel()

    app.router.lifespan_context = lifespan
    gc.enable()
    gc.freeze()
    return app


def _exit_if_orphaned() -> None:
    """End a temporary server whose CLI has died before it started.

    uvicorn holds back SIGTERM (the lifeline's signal, `_die_with_parent`) until
    its app has started, and a first start migrates a new database for many
    seconds: without this, a CLI killed before would leave its server running
    that long after it.
    """
    owner = os.environ.get(OWNER_ENV, "")
    if owner.isdigit() and os.getppid() != int(owner):
        os._exit(0)


async def _prime(app: Any) -> None:
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://prime/api") as client:
        for method, path in PRIMING_REQUESTS:
            body = {"limit": 1} if method == "POST" else None
            with contextlib.suppress(Exception):  # a warm-up only: the real request will tell
                await client.request(method, path, json=body)


class TemporaryServer:
    """Prefect's temporary API server for one CLI process: no UI, ephemeral services."""

    def __init__(self) -> None:
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115  (closed in stop)
        self.port = free_port()
        self.api_url = f"http://{HOST}:{self.port}/api"
        self.database = migrated.default_database(os.environ)
        self.checks_database = self.database is None or not migrated.already_migrated(self.database)
        self.process = self._launch()

    def _launch(self) -> subprocess.Popen[bytes]:
        port = self.port
        env = temporary_env(os.environ, os.getpid(), check_database=self.checks_database)
        command = [
            sys.executable, "-c", UVICORN_WITHOUT_GC, "--app-dir", _site_packages(),
            "--factory", "flows.server:temporary_app",
            "--host", HOST, "--port", str(port), "--log-level", "error", "--lifespan", "on",
        ]  # fmt: skip
        return subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            preexec_fn=_die_with_parent,  # no threads yet: see _die_with_parent
        )

    def wait(self) -> None:
        """Block until the server answers; it has been starting since `__init__`.

        The timeout counts the pauses between checks, as Prefect's own loop does,
        not wall time: on a starved machine a fresh database's migration takes
        longer than the setting says, and Prefect waits that out too.
        """
        waited, limit = 0.0, startup_timeout()
        retries = STARTUP_RETRIES
        while waited < limit:
            code = self.process.poll()
            if code == STARTUP_FAILED and retries:
                # Two first runs on a fresh Prefect home race to migrate its database and
                # the loser's start-up fails; Prefect retries too. Same port: Prefect's
                # settings already point there.
                retries -= 1
                self.process = self._launch()
                continue
            if code is not None:
                raise ServerError(
                    f"Prefect's temporary server exited with code {code}: {self._tail()} "
                    "(start one with `tubewiki server start`, or set PREFECT_API_URL)"
                )
            if healthy(self.api_url, timeout=1.0):
                if self.database is not None and self.checks_database:
                    migrated.remember(self.database)  # the next server need not check
                return
            time.sleep(POLL_S)
            waited += POLL_S
        self.stop()
        raise ServerError(
            f"Prefect's temporary server did not answer within {startup_timeout():.0f} s "
            "(raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or start one with "
            "`tubewiki server start`)"
        )

    def stop(self, wait: bool = True) -> None:
        """Terminate the server; with `wait=False` it finishes shutting down on its own."""
        if self.process.poll() is None:
            self.process.terminate()
            if wait:
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        self._log.close()

    def _tail(self) -> str:
        self._log.seek(0)
        lines = self._log.read().decode(errors="replace").strip().splitlines()
        return " ".join(" ".join(lines[-3:]).split())[:300] or "no output"


def temporary_env(
    environ: Mapping[str, str], owner: int, check_database: bool = True
) -> dict[str, str]:
    """The temporary server's environment: `TEMPORARY_SERVER_DEFAULTS` under the user's
    own, no UI, no API URL, which would point the server at itself, and no migration
    check of a database known to be migrated (`flows.migrated`)."""
    env = {
        **TEMPORARY_SERVER_DEFAULTS,
        **environ,
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
        OWNER_ENV: str(owner),
    }
    if not check_database:
        env.update(migrated.SKIP)
    env.pop("PREFECT_API_URL", None)
    return env


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the CLI process dies, however it dies.

    Linux only (prctl PR_SET_PDEATHSIG); elsewhere the server ends at the CLI's exit.
    Popen runs this before Prefect or spaCy start a thread, so it is fork-safe.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# --- the background server ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerRecord:
    """The background server `tubewiki server start` launched."""

    pid: int
    api_url: str
    log: str
    runner: int = 0  # the warm runner's pid (`flows.runner`); 0 if it did not start

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/api")


def record_path() -> Path:
    return state_home() / RECORD_FILE


def read_record() -> ServerRecord | None:
    try:
        data = json.loads(record_path().read_text(encoding="utf-8"))
        return ServerRecord(
            int(data["pid"]), str(data["api_url"]), str(data["log"]), int(data.get("runner", 0))
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running_server(timeout: float = 0.5) -> ServerRecord | None:
    """The background server, if its process lives and it answers."""
    record = read_record()
    if record is None or not _alive(record.pid) or not healthy(record.api_url, timeout):
        return None
    return record


def runner_alive(record: ServerRecord) -> bool:
    """The record's warm runner lives (`flows.runner`), not a recycled pid."""
    return bool(record.runner) and _alive(record.runner, b"flows.runner")


def start_background() -> tuple[ServerRecord, bool]:
    """Start `prefect server start` in the background; (record, False) if one already runs."""
    running = running_server(timeout=2.0)
    if running is not None:
        return running, False
    stop_background()  # a server that died may have left its runner
    home = state_home()
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = home / LOG_FILE
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    command = [
        sys.executable, "-m", "prefect", "server", "start",
        "--host", HOST, "--port", str(port), "--analytics-off", "--no-background",
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: `stop` ends all of it
        )
    record = ServerRecord(process.pid, f"http://{HOST}:{port}/api", str(log))
    _write_record(record)
    deadline = time.monotonic() + startup_timeout()
    while not healthy(record.api_url):
        if process.poll() is not None:
            record_path().unlink(missing_ok=True)
            raise ServerError(
                f"`prefect server start` exited with code {process.returncode}; see {log}"
            )
        if time.monotonic() > deadline:
            stop_background()
            raise ServerError(
                f"the Prefect server did not answer within {startup_timeout():.0f} s; see {log}"
            )
        time.sleep(0.2)
    record = replace(record, runner=_start_runner(record.api_url, deadline))
    _write_record(record)
    return record, True


def _write_record(record: ServerRecord) -> None:
    record_path().write_text(json.dumps(asdict(record)) + "\n", encoding="utf-8")


def _start_runner(api_url: str, deadline: float) -> int:
    """Start the warm runner (`flows.runner`) and wait until it listens; its pid, or 0
    when it failed (commands then run in their own process, as without it)."""
    log = state_home() / RUNNER_LOG
    path = runner_socket()
    path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "flows.runner", "--socket", str(path), "--api", api_url]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: `stop` ends its commands too
        )
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists():
            return process.pid
        time.sleep(0.1)
    if process.poll() is None:
        process.kill()
    return 0


def stop_background() -> ServerRecord | None:
    """Stop the background server and its runner (each a whole process group); None if
    none was recorded."""
    record = read_record()
    if record is None:
        return None
    groups = [(record.pid, b"prefect"), (record.runner, b"flows.runner")]
    live = [(pid, marker) for pid, marker in groups if pid and _alive(pid, marker)]
    for pid, _ in live:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while any(_alive(pid, marker) for pid, marker in live) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid, marker in live:
        if _alive(pid, marker):
            _signal_group(pid, signal.SIGKILL)
    runner_socket().unlink(missing_ok=True)  # left behind by a runner that was killed
    record_path().unlink(missing_ok=True)
    return record


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _alive(pid: int, marker: bytes = b"prefect") -> bool:
    """The process lives and is still what we started (its command line holds `marker`),
    not a recycled pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():
        return True  # no /proc: trust the pid
    try:
        return marker in cmdline.read_bytes()
    except OSError:
        return False


# --- what a command uses ----------------------------------------------------------------------


@dataclass(slots=True)
class Api:
    """The API a command's flow runs report to; `temporary` is set when this process owns it."""

    url: str
    temporary: TemporaryServer | None = None

    def wait(self) -> None:
        if self.temporary is not None:
            self.temporary.wait()

    def starting(self) -> bool:
        """A temporary server of ours that does not answer yet."""
        return self.temporary is not None and not healthy(self.url, timeout=0.1)


_early: list[TemporaryServer] = []  # launched by `launch_early`, for `prefect_api`


def launch_early() -> None:
    """Start the temporary server now, if a command will need one: the console script
    calls this before it imports the CLI, so the server's start (the longest part of
    a cold command) begins half a second sooner.

    Linux only, where the server dies with its CLI (`_die_with_parent`) even if the
    command ends before it uses it, say on a malformed URL.
    """
    if sys.platform.startswith("linux") and not _early and _choose_url() is None:
        _early.append(TemporaryServer())


def _choose_url() -> str | None:
    """A configured API, else the background server's; None when neither answers."""
    url = _configured_url()
    if url is None and (record := running_server()) is not None:
        url = record.api_url
    return url


@contextlib.contextmanager
def prefect_api() -> Iterator[Api]:
    """Choose the API before Prefect is imported, starting a temporary server if need be."""
    if _early:
        server = _early.pop()
        api = Api(server.api_url, server)
    elif (url := _choose_url()) is not None:
        api = Api(url)
    else:
        server = TemporaryServer()
        api = Api(server.api_url, server)
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = api.url
    try:
        yield api
    finally:
        if api.temporary is not None:
            api.temporary.stop(wait=False)  # it ends on its own; nothing of ours waits for it
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before


def _configured_url() -> str | None:
    """PREFECT_API_URL from Prefect's settings if it is loaded, else from the environment
    or the active Prefect profile (read directly: importing Prefect is what we avoid)."""
    if "prefect.settings" in sys.modules:
        from prefect.settings import get_current_settings

        return get_current_settings().api.url or None
    url = os.environ.get("PREFECT_API_URL", "").strip()
    return url or profile_url()


def profile_url(env: Mapping[str, str] = os.environ) -> str | None:
    """The active Prefect profile's API URL under `env`, read without importing Prefect."""
    url = profile_settings(env).get("PREFECT_API_URL")
    return str(url).strip() or None if url else None


def _site_packages() -> str:
    """The folder holding `prefect` (uvicorn's --app-dir), found without importing it."""
    package = prefect_package()
    if package is None:
        raise ServerError("Prefect is not installed: run `pip install prefect`")
    return str(package.parent)
