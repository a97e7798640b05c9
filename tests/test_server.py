"""Where the CLI's flows report: a temporary server it starts itself, or `tubewiki server`.

Both run `tubewiki` as a whole process, as a user does: the point is what that
process imports, which server it talks to, and what it leaves running.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from flows.server import healthy, read_record

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPT = ROOT / "examples" / "nvidia_story.json"


def tubewiki(*args: str | Path, state: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m tubewiki.cli ARGS` with no Prefect server configured."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PYTHONPATH=str(ROOT), TUBEWIKI_STATE_DIR=str(state), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tubewiki.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
        timeout=300,
    )


def ingest(vault: Path, state: Path) -> subprocess.CompletedProcess[str]:
    return tubewiki(
        "ingest", "NvidiaStory", "--transcript", TRANSCRIPT, "--title", "How Nvidia bet on CUDA",
        "--channel", "Tech Histories", "--vault", vault, state=state, cwd=vault.parent,
    )  # fmt: skip


def vaults_of_flow_runs(api_url: str) -> list[str]:
    """The `vault` parameter of the server's latest flow runs."""
    request = urllib.request.Request(
        f"{api_url}/flow_runs/filter",
        data=json.dumps({"limit": 50, "sort": "EXPECTED_START_TIME_DESC"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return [str(run["parameters"].get("vault")) for run in json.load(response)]


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

        vault = tmp_path / "vault"
        done = ingest(vault, state)
        assert done.returncode == 0, done.stderr[-2000:]
        assert str(vault) in vaults_of_flow_runs(record.api_url)  # it reported there
    finally:
        stopped = tubewiki("server", "stop", state=state, cwd=tmp_path)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not healthy(record.api_url) and read_record() is None
    assert tubewiki("server", "status", state=state, cwd=tmp_path).returncode == 1
