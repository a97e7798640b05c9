"""Where the CLI's flows report: a temporary server it starts itself, or `tubewiki server`.

Both run `tubewiki` as a whole process, as a user does: the point is what that
process imports, which server it talks to, and what it leaves running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from flows import migrated
from flows.server import (
    PRIMING_REQUESTS,
    ServerRecord,
    _alive,
    healthy,
    read_record,
    temporary_env,
)
from tests.test_worker_lifeline import wait_for
from tubewiki.handoff import runner_socket
from tubewiki.journal import vault_lock

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPT = ROOT / "examples" / "nvidia_story.json"


def env_for(state: Path) -> dict[str, str]:
    """No Prefect server configured; tubewiki's state in `state`."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PYTHONPATH=str(ROOT), TUBEWIKI_STATE_DIR=str(state), COLUMNS="200")
    return env


def tubewiki(*args: str | Path, state: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m tubewiki.cli ARGS`: the CLI in its own process, whatever runs."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tubewiki.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env_for(state),
        check=False,
        timeout=300,
    )


def ingest_args(vault: Path) -> list[str]:
    return [
        "ingest", "NvidiaStory", "--transcript", str(TRANSCRIPT), "--title",
        "How Nvidia bet on CUDA", "--channel", "Tech Histories", "--vault", str(vault),
    ]  # fmt: skip


def ingest(vault: Path, state: Path) -> subprocess.CompletedProcess[str]:
    return tubewiki(*ingest_args(vault), state=state, cwd=vault.parent)


def console_script(args: list[str], state: Path, cwd: Path) -> subprocess.Popen[str]:
    """`python -m tubewiki ARGS`, as the `tubewiki` script runs: the warm runner first."""
    return subprocess.Popen(
        [sys.executable, "-m", "tubewiki", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=env_for(state),
    )


def served(state: Path) -> list[str]:
    """The commands the warm runner has run, as its log says: "ingest (pid N) exited C"
    or "... killed by signal S"."""
    log = state / "runner.log"
    return [line for line in log.read_text().splitlines() if line.startswith("ingest (pid ")]


def commands_in(runner: int) -> list[int]:
    """The runner's commands: the children of its watchers, its own children."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return [pid for pid, parent in parents.items() if parents.get(parent) == runner]


def vaults_of_flow_runs(api_url: str) -> list[str]:
    """The `vault` parameter of the server's latest flow runs."""
    request = urllib.request.Request(
        f"{api_url}/flow_runs/filter",
        data=json.dumps({"limit": 50, "sort": "EXPECTED_START_TIME_DESC"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return [str(run["parameters"].get("vault")) for run in json.load(response)]


def test_the_temporary_server_skips_what_it_does_not_need_unless_the_user_says() -> None:
    env = temporary_env(
        {"PREFECT_API_URL": "http://127.0.0.1:9/api", "PREFECT_API_BLOCKS_REGISTER_ON_START": "1"},
        owner=4242,
    )
    assert "PREFECT_API_URL" not in env  # it would point the server at itself
    assert env["PREFECT_API_BLOCKS_REGISTER_ON_START"] == "1"  # the user's setting wins
    assert env["PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED"] == "false"
    assert env["PY_KEY_VALUE_DISABLE_BEARTYPE"] == "true"
    assert env["PREFECT_UI_ENABLED"] == "0"
    assert env["TUBEWIKI_SERVER_OWNER"] == "4242"


def test_the_temporary_server_primes_itself_with_routes_prefect_serves() -> None:
    """A request Prefect no longer serves would fail unseen (priming is best effort)."""
    from prefect.server.api.server import API_ROUTERS

    served = {
        (method, getattr(route, "path", ""))
        for router in API_ROUTERS
        for route in router.routes
        for method in getattr(route, "methods", ())
    }
    assert set(PRIMING_REQUESTS) <= served
    assert PRIMING_REQUESTS[0] == ("GET", "/admin/version")  # the client's first request


@pytest.mark.slow
def test_a_cold_ingest_starts_its_own_server_without_importing_prefects(
    tmp_path: Path,
) -> None:
    vault = tmp_path / "vault"
    done = ingest(vault, tmp_path / "state")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "created" in done.stdout
    assert (vault / "entities" / "jensen_huang.md").is_file()
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "prefect.flow_engine" in imported  # the flow did run in this process
    assert not {m for m in imported if m.startswith("prefect.server.api")}
    # Its server checked Prefect's database, and that is remembered: the next skips it.
    record = json.loads((tmp_path / "state" / migrated.RECORD_FILE).read_text())
    assert list(record) == [str(migrated.default_database(os.environ))]
    again = ingest(tmp_path / "again", tmp_path / "state")
    assert again.returncode == 0, again.stderr[-2000:]
    assert (tmp_path / "again" / "entities" / "jensen_huang.md").is_file()


@pytest.mark.slow
def test_server_start_status_stop_and_commands_use_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    monkeypatch.setenv("TUBEWIKI_STATE_DIR", str(state))  # for read_record here
    assert tubewiki("server", "status", state=state, cwd=tmp_path).returncode == 1
    started = tubewiki("server", "start", state=state, cwd=tmp_path)
    try:
        assert started.returncode == 0, started.stderr[-2000:]
        record = read_record()
        assert record is not None and healthy(record.api_url)
        status = tubewiki("server", "status", state=state, cwd=tmp_path)
        assert status.returncode == 0 and record.ui_url in status.stdout
        again = tubewiki("server", "start", state=state, cwd=tmp_path)
        assert "already running" in again.stdout and read_record() == record

        assert "warm runner ready" in status.stdout

        vault = tmp_path / "vault"
        done = ingest(vault, state)
        assert done.returncode == 0, done.stderr[-2000:]
        assert str(vault) in vaults_of_flow_runs(record.api_url)  # it reported there
        assert served(state) == []  # `python -m tubewiki.cli` runs in its own process

        check_the_runner(tmp_path, state, record)

        os.kill(record.runner, signal.SIGKILL)  # its socket stays behind, refusing
        assert wait_for(lambda: not _alive(record.runner, b"flows.runner"), 10)
        status = tubewiki("server", "status", state=state, cwd=tmp_path)
        assert status.returncode == 0 and "warm runner not running" in status.stdout
        bad = console_script(["ingest", "https://example.com/watch"], state, tmp_path)
        _out, err = bad.communicate(timeout=120)  # runs in its own process instead
        assert bad.returncode == 2 and err.startswith("error: not a YouTube video id")
    finally:
        stopped = tubewiki("server", "stop", state=state, cwd=tmp_path)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not healthy(record.api_url) and read_record() is None
    assert not _alive(record.runner, b"flows.runner") and not runner_socket().exists()
    assert tubewiki("server", "status", state=state, cwd=tmp_path).returncode == 1


def check_the_runner(tmp_path: Path, state: Path, record: ServerRecord) -> None:
    """The console script hands commands to the warm runner, which runs them as their
    own process would: same output, exit code, errors, lock notice and Ctrl-C."""
    vault = tmp_path / "handed"
    done = console_script(ingest_args(vault), state, tmp_path)
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err[-2000:]
    assert "created" in out and (vault / "entities" / "jensen_huang.md").is_file()
    assert len(served(state)) == 1 and served(state)[0].startswith("ingest (pid ")
    assert str(vault) in vaults_of_flow_runs(record.api_url)

    bad = console_script(["ingest", "https://example.com/watch"], state, tmp_path)
    out, err = bad.communicate(timeout=120)
    assert bad.returncode == 2 and out == ""
    assert err.startswith("error: not a YouTube video id or URL") and err.count("\n") == 1
    assert served(state)[-1].endswith(" exited 2")

    for case in ("ctrl-c", "cli killed", "command killed"):
        waiting = tmp_path / case.replace(" ", "_")
        with vault_lock(waiting):
            command = console_script(ingest_args(waiting), state, tmp_path)
            assert command.stderr is not None
            line = command.stderr.readline()
            assert line.startswith("waiting: "), line  # said by the command, in the runner
            if case == "ctrl-c":
                command.send_signal(signal.SIGINT)
            elif case == "cli killed":
                command.kill()
            else:
                [pid] = commands_in(record.runner)
                os.kill(pid, signal.SIGKILL)
            out, err = command.communicate(timeout=120)
        if case == "ctrl-c":  # passed on, and the command's own answer comes back
            assert command.returncode == 130
            assert "interrupted: the vault is unchanged" in err
            assert served(state)[-1].endswith(" exited 130")
        elif case == "cli killed":  # the CLI is gone: the runner ends its command too
            assert command.returncode == -signal.SIGKILL
            deadline = time.monotonic() + 30
            while not served(state)[-1].endswith(" signal 15") and time.monotonic() < deadline:
                time.sleep(0.2)
            assert served(state)[-1].endswith(" killed by signal 15")
        else:  # the CLI says so, on one line
            assert command.returncode == 128 + signal.SIGKILL
            assert err.startswith("error: this command was killed by signal 9 in tubewiki's")
            assert err.count("\n") == 1
        assert not (waiting / "entities").exists()
