"""Crash safety and concurrency of a whole ingest, with real processes and SIGKILL.

A vault holding video A is the "before" state; an uninterrupted ingest of B
into a copy of it gives the "after" state. Ingests of B are then killed with
SIGKILL at delays spread over a run (and, with a slowed disk, inside the
commit itself); after the library's recovery the notes must be byte-equal to
"before" or "after", never a mix, and a plain re-ingest must reach "after".

The killed processes run `tests/helpers/ingest_library.py`, which calls
`tubewiki.pipeline.ingest` directly: the Prefect flow adds a temporary server
(~10 s) but not a single write of its own. The concurrency test runs the real
`tubewiki ingest` command twice at once.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.vaults import check_notes, snapshot
from tubewiki import review
from tubewiki.ledger import Ledger
from tubewiki.pipeline import Request, ingest, recover

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
HELPER = HERE / "helpers" / "ingest_library.py"
FIXTURES = HERE / "fixtures" / "lifecycle"
ROOT = HERE.parent

CHANNEL = "Launch Ledger"
A = ("OrbitalA_01", FIXTURES / "orbital_freight_story.json", "How Orbital Freight ships satellites")
B = ("OrbitalB_02", FIXTURES / "rideshare_rivals.json", "Rideshare rivals")

# Fractions of a run (after tubewiki and spaCy are loaded) at which to kill it.
PLAIN_KILLS = (0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 1.0)
# Fractions of the commit (with every staged or renamed file slowed down) at which to kill.
# The commit point (the journal's rename) comes after staging, early in the window.
COMMIT_KILLS = (0.02, 0.06, 0.1, 0.15, 0.3, 0.6, 0.95)
SLOW_WRITE_S = 0.04


def env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def helper(vault: Path, video: tuple[str, Path, str], slow: float = 0.0) -> subprocess.Popen[str]:
    video_id, transcript, title = video
    args = [sys.executable, str(HELPER), str(vault), video_id, str(transcript), title, CHANNEL]
    if slow:
        args += ["--slow-writes", str(slow)]
    return subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(), cwd=ROOT
    )


def wait_for(proc: subprocess.Popen[str], word: str) -> float:
    """Read the helper's stdout up to the line starting with `word`; return when it came."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(word):
            return time.monotonic()
    proc.wait()
    raise AssertionError(f"helper exited ({proc.returncode}) before {word!r}: {proc.stderr.read()}")


def finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return out


def timed_run(vault: Path, video: tuple[str, Path, str], slow: float = 0.0) -> tuple[float, float]:
    """Seconds from "ready" to exit, and from "commit" to exit, of one full run."""
    proc = helper(vault, video, slow)
    ready = wait_for(proc, "ready")
    commit = wait_for(proc, "commit")
    finish(proc)
    end = time.monotonic()
    return end - ready, end - commit


def settled(vault: Path) -> dict[str, str]:
    """Recover like the next command would, then each run's status by video."""
    recover(vault)  # takes the lock and recovers any interrupted commit
    with Ledger.open(vault) as ledger:
        runs = ledger.runs(limit=100)
    assert all(r.status != "running" for r in runs), [(r.run_id, r.status) for r in runs]
    return {r.run_id: r.status for r in runs if B[0] in r.videos}


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("crash")
    before = root / "before"
    ingest(Request(A[0], A[1], A[2], CHANNEL), before)
    after = root / "after"
    shutil.copytree(before, after)
    finish_run = helper(after, B)
    finish(finish_run)
    assert snapshot(after) != snapshot(before)
    check_notes(before)
    check_notes(after)
    return {"before": before, "after": after, "root": root}


def _crash_and_recover(
    states: dict[str, Path], tmp_path: Path, name: str, kill: Callable[[Path], None]
) -> str:
    vault = tmp_path / name
    shutil.copytree(states["before"], vault)
    kill(vault)
    statuses = settled(vault)
    got = snapshot(vault)
    before, after = snapshot(states["before"]), snapshot(states["after"])
    mixed = sorted(
        k for k in set(got) | set(after) if got.get(k) not in (before.get(k), after.get(k))
    )
    assert got in (before, after), f"{name}: neither before nor after; odd notes: {mixed}"
    outcome = "after" if got == after else "before"
    ok = [run for run, status in statuses.items() if status == "ok"]
    assert bool(ok) == (outcome == "after"), (name, outcome, statuses)
    # (both states passed check_notes in the fixture, and these bytes equal one of them)
    # the vault works on: a plain re-ingest of B lands exactly on the after state
    ingest(Request(B[0], B[1], B[2], CHANNEL), vault)
    assert snapshot(vault) == after, f"{name}: re-ingest after recovery did not reach 'after'"
    return outcome


def test_kill_anywhere_in_an_ingest(states: dict[str, Path], tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    shutil.copytree(states["before"], probe)
    duration, _ = timed_run(probe, B)
    outcomes = []
    for i, fraction in enumerate(PLAIN_KILLS):

        def kill(vault: Path, fraction: float = fraction) -> None:
            proc = helper(vault, B)
            ready = wait_for(proc, "ready")
            time.sleep(max(0.0, ready + fraction * duration - time.monotonic()))
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)

        outcomes.append(_crash_and_recover(states, tmp_path, f"plain{i}", kill))
    print(f"run after ready: {duration:.2f}s; outcomes: {outcomes}")


def test_kill_inside_the_commit(states: dict[str, Path], tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    shutil.copytree(states["before"], probe)
    _, commit_s = timed_run(probe, B, slow=SLOW_WRITE_S)
    assert commit_s > 0.2, f"the slowed commit took only {commit_s:.2f}s"
    outcomes = []
    for i, fraction in enumerate(COMMIT_KILLS):

        def kill(vault: Path, fraction: float = fraction) -> None:
            proc = helper(vault, B, slow=SLOW_WRITE_S)
            start = wait_for(proc, "commit")
            time.sleep(max(0.0, start + fraction * commit_s - time.monotonic()))
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)

        outcomes.append(_crash_and_recover(states, tmp_path, f"commit{i}", kill))
    print(f"commit: {commit_s:.2f}s; outcomes: {outcomes}")
    # kills spread over the commit must hit both sides of its commit point
    assert "before" in outcomes and "after" in outcomes, outcomes


# --- two ingests at once ---------------------------------------------------------


def _sequential(root: Path, order: tuple[tuple[str, Path, str], ...]) -> dict[str, bytes]:
    vault = root / ("seq_" + "_".join(v[0] for v in order))
    if not vault.exists():
        for video in order:
            ingest(Request(video[0], video[1], video[2], CHANNEL), vault)
    return snapshot(vault)


def _assert_two_ok_runs(vault: Path) -> None:
    runs = review.runs(vault, 100)
    assert sorted((r.kind, r.status, r.videos) for r in runs) == [
        ("ingest", "ok", (A[0],)),
        ("ingest", "ok", (B[0],)),
    ]


def test_two_library_ingests_at_once(states: dict[str, Path], tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    procs = [helper(vault, A), helper(vault, B)]
    for proc in procs:
        finish(proc)
    got = snapshot(vault)
    orders = (_sequential(states["root"], (A, B)), _sequential(states["root"], (B, A)))
    assert got in orders, "the concurrent result matches neither sequential order"
    _assert_two_ok_runs(vault)
    check_notes(vault)
    # and it is a fixed point: ingesting both again changes no byte
    ingest(Request(A[0], A[1], A[2], CHANNEL), vault)
    ingest(Request(B[0], B[1], B[2], CHANNEL), vault)
    assert snapshot(vault) == got


def _cli() -> list[str]:
    """`python -m tubewiki.cli` if it works, else the venv's console script."""
    probe = subprocess.run(
        [sys.executable, "-m", "tubewiki.cli", "--help"],
        capture_output=True,
        env=env(),
        check=False,
    )
    if probe.returncode == 0:
        return [sys.executable, "-m", "tubewiki.cli"]
    return [str(Path(sys.executable).parent / "tubewiki")]


def test_two_cli_ingests_at_once(states: dict[str, Path], tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    prefect_home = tmp_path / "prefect"  # both share one fresh Prefect home, as on a new machine
    prefect_home.mkdir()
    # flows/settings.py means to raise this (tests/test_cli.py shows it does not reach the flow)
    extra = {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    }
    procs = []
    for video_id, transcript, title in (A, B):
        args = [*_cli(), "ingest", video_id, "--transcript", str(transcript), "--title", title]
        args += ["--channel", CHANNEL, "--vault", str(vault)]
        procs.append(
            subprocess.Popen(
                args,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**env(), **extra},
                cwd=tmp_path,
            )
        )
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-2000:]
        # No traceback from tubewiki's own code. (Two first runs on one fresh Prefect home
        # race on migrating its database; the loser's temporary server logs a uvicorn
        # traceback and Prefect starts another: that one is Prefect's.)
        for ours in (ROOT / "tubewiki", ROOT / "flows"):
            assert f'File "{ours}' not in err, err[-3000:]
        # Whichever ingest reaches the vault second may say it waits for the lock.
        said = [line for line in err.splitlines() if line.strip()]
        waits = [line for line in said if line.startswith("waiting: ")]
        assert all("', locked by " in line for line in waits), err[-3000:]
        assert said == waits or "uvicorn" in err or "prefect" in err.lower(), err[-3000:]
    got = snapshot(vault)
    orders = (_sequential(states["root"], (A, B)), _sequential(states["root"], (B, A)))
    assert got in orders, "the concurrent result matches neither sequential order"
    _assert_two_ok_runs(vault)
    check_notes(vault)
