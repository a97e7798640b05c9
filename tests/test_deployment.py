"""`prefect.yaml` for real: a server, a process work pool, `prefect deploy`, a worker, a run.

The run reads a local transcript file, so it needs no network (`responses`
cannot reach into the worker's flow-run process). Everything runs against a
fresh PREFECT_HOME, and the server and worker are stopped whatever happens.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PREFECT = str(Path(sys.executable).with_name("prefect"))
VIDEO = "depTest0001"
TRANSCRIPT = [
    {"text": "Welcome to the Riverside Radio workshop.", "start": 0.0, "duration": 3.0},
    {
        "text": "In 1931 Clara Weiss built the first valve radio in Linz.",
        "start": 3.0,
        "duration": 5.0,
    },
    {
        "text": "Her company, Weiss Electric, sold twenty thousand sets by 1940.",
        "start": 8.0,
        "duration": 5.0,
    },
    {"text": "Weiss Electric later moved its factory to Graz.", "start": 13.0, "duration": 4.0},
]

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prefect_env(home: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_WORKER_QUERY_SECONDS="2",
        PREFECT_WORKER_PREFETCH_SECONDS="5",
        PWD=str(REPO),  # `prefect deploy` resolves the pull step's {{ $PWD }} to this
    )
    return env


@contextmanager
def background(
    args: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A subprocess in its own process group, stopped (group and all) on the way out."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)


def wait_for_health(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"prefect server exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"prefect server did not answer in {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def prefect(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [PREFECT, "--no-prompt", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"prefect {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def test_ingest_video_deployment_runs_on_a_process_worker(tmp_path: Path) -> None:
    port = free_port()
    env = prefect_env(tmp_path / "prefect-home", port)
    transcript = tmp_path / f"{VIDEO}.json"
    transcript.write_text(json.dumps(TRANSCRIPT), encoding="utf-8")
    vault = tmp_path / "vault"
    server_log, worker_log = tmp_path / "server.log", tmp_path / "worker.log"
    server_args = [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)]

    with background(server_args, env, server_log) as server:
        wait_for_health(port, server, server_log, timeout=90)
        prefect(env, "work-pool", "create", "tubewiki", "--type", "process")
        deployed = prefect(env, "deploy", "--name", "ingest-video")
        assert "ingest-video/ingest-video" in deployed

        worker_args = [PREFECT, "worker", "start", "--pool", "tubewiki", "--type", "process"]
        with background(worker_args, env, worker_log):
            out = prefect(
                env,
                "deployment",
                "run",
                "ingest-video/ingest-video",
                "-p",
                f"video={VIDEO}",
                "-p",
                f"transcript={transcript}",
                "-p",
                f"vault={vault}",
                "-p",
                "title=The Radio Workshop",
                "-p",
                "channel=Riverside Radio",
                "--watch",
                "--watch-interval",
                "2",
                "--watch-timeout",
                "180",
                timeout=200,
            )
            assert "Completed" in out, out + worker_log.read_text()[-3000:]

    assert (vault / "riverside_radio" / "the_radio_workshop.md").is_file()
    from tubewiki.ledger import Ledger

    with Ledger.open(vault) as ledger:
        run = ledger.runs(1)[0]
        assert (run.kind, run.status, list(run.videos)) == ("ingest", "ok", [VIDEO])
        video = ledger.video(VIDEO)
        assert video is not None and video.status == "ingested"
