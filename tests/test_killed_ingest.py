"""A `tubewiki ingest` killed with SIGKILL leaves no process behind.

With no Prefect server configured, the ingest starts a temporary API server
(uvicorn) as a child: the CLI its own (`flows.server`), a flow run outside the
CLI Prefect's (guarded by `flows.lifeline`). A killed process runs no exit
handler, so unless the child ends with its parent it would run for good.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_worker_lifeline import alive, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="reads /proc"),
]

ROOT = Path(__file__).parent.parent
TRANSCRIPT = Path(__file__).parent / "fixtures" / "lifecycle" / "orbital_freight_story.json"


def children(pid: int) -> set[int]:
    """Every living descendant of `pid`, read from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


# The same ingest through Prefect's own temporary server, as a script would run the flow.
_FLOW_OUTSIDE_CLI = """
import sys
from flows.ingest import ingest_video
from flows.settings import local_run
with local_run():
    ingest_video("OrbitalA_01", transcript=sys.argv[1], title="T", channel="C", vault=sys.argv[2])
"""


@pytest.mark.parametrize("through", ["cli", "flow"])
def test_killing_an_ingest_leaves_no_process(tmp_path: Path, through: str) -> None:
    vault = str(tmp_path / "vault")
    command = (
        [
            sys.executable, "-m", "tubewiki.cli", "ingest", "OrbitalA_01",
            "--transcript", str(TRANSCRIPT), "--title", "T", "--channel", "C", "--vault", vault,
        ]
        if through == "cli"
        else [sys.executable, "-c", _FLOW_OUTSIDE_CLI, str(TRANSCRIPT), vault]
    )  # fmt: skip
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PREFECT_API") and key != "PREFECT_HOME"
    }
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect"),
        TUBEWIKI_STATE_DIR=str(tmp_path / "state"),  # no background server of the user's
        PYTHONPATH=str(ROOT),
    )
    ingest = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen: set[int] = set()
    try:

        def server_up() -> bool:
            seen.update(children(ingest.pid))
            return any("uvicorn" in command_line(pid) for pid in seen)

        assert wait_for(server_up, 120), "the ingest never started Prefect's temporary server"
        time.sleep(1.0)  # let the watchdog and the server settle in
        seen.update(children(ingest.pid))
        assert ingest.poll() is None, "the ingest ended before it could be killed"
        os.kill(ingest.pid, signal.SIGKILL)
        ingest.wait(timeout=30)
        time.sleep(5.0)
        left = {pid: command_line(pid) for pid in seen if alive(pid)}
        assert left == {}, f"still running 5 s after the ingest was killed: {left}"
    finally:
        for pid in seen | {ingest.pid}:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_command_that_fails_at_once_ends_the_server_it_launched_early(tmp_path: Path) -> None:
    """The console script starts the temporary server before it reads the arguments
    (`flows.server.launch_early`); a malformed URL must not leave it running."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_API")}
    env.update(TUBEWIKI_STATE_DIR=str(tmp_path / "state"), PYTHONPATH=str(ROOT))
    command = subprocess.Popen(
        [sys.executable, "-m", "tubewiki", "ingest", "https://example.com/watch?v=nothing"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    servers: set[int] = set()
    while command.poll() is None:
        servers |= {pid for pid in children(command.pid) if "uvicorn" in command_line(pid)}
    out, err = command.communicate()
    assert out == ""
    assert command.returncode == 2 and err.startswith("error: not a YouTube video id or URL")
    assert servers, "the console script launched no server early"
    assert wait_for(lambda: not any(alive(pid) for pid in servers), 10), "the server outlived it"
