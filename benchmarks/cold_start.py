"""A cold `tubewiki ingest` as a whole process, against a bare spaCy process.

    python benchmarks/cold_start.py [--rounds N] [--transcript FILE]

Each round times three fresh processes, in turn:
- bare: `python -c` that loads the spaCy model and parses one sentence;
- cold: `tubewiki ingest` of the example into a new vault, no server running
  (the CLI starts Prefect's temporary server itself);
- server: the same ingest with `tubewiki server start` up (started once,
  before the rounds, and stopped at the end), so the command is handed to its
  warm runner.

Prints each round, then the medians `cold_s=`, `server_s=`, `bare_s=` and
`cold_ratio=` (cold / bare) and `server_ratio=` (server / bare).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import settle

from tubewiki.nlp import model_name

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "nvidia_story.json"


def env_for(state: Path) -> dict[str, str]:
    """This checkout's code, no configured Prefect API, tubewiki's state in `state`."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PYTHONPATH=str(ROOT), TUBEWIKI_STATE_DIR=str(state))
    return env


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-800:]}")
    return seconds


def tubewiki(*args: str) -> list[str]:
    """As the `tubewiki` console script runs: handed to the warm runner when one is up."""
    return [sys.executable, "-m", "tubewiki", *args]


def ingest(transcript: Path, vault: Path) -> list[str]:
    return tubewiki(
        "ingest", "NvidiaStory", "--transcript", str(transcript), "--title",
        "How Nvidia bet on CUDA", "--channel", "Tech Histories", "--vault", str(vault),
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--transcript", type=Path, default=EXAMPLE)
    args = parser.parse_args()
    bare = [
        sys.executable,
        "-c",
        f"import spacy; nlp = spacy.load({model_name()!r}); nlp('One sentence, parsed.')",
    ]
    cold_s: list[float] = []
    server_s: list[float] = []
    bare_s: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        no_server, with_server = env_for(work / "none"), env_for(work / "server")
        timed(tubewiki("server", "start"), with_server, work)
        try:
            timed(bare, no_server, work)  # warm the page cache, not counted
            for round_ in range(args.rounds):
                settle()
                bare_s.append(timed(bare, no_server, work))
                settle()
                cold_s.append(
                    timed(ingest(args.transcript, work / f"cold{round_}"), no_server, work)
                )
                settle()
                server_s.append(
                    timed(ingest(args.transcript, work / f"server{round_}"), with_server, work)
                )
                print(
                    f"round {round_ + 1}: bare={bare_s[-1]:.2f} cold={cold_s[-1]:.2f} "
                    f"server={server_s[-1]:.2f}",
                    flush=True,
                )
        finally:
            timed(tubewiki("server", "stop"), with_server, work)
    cold, server, bare_median = (statistics.median(x) for x in (cold_s, server_s, bare_s))
    print(f"cold_s={cold:.2f}")
    print(f"server_s={server:.2f}")
    print(f"bare_s={bare_median:.2f}")
    print(f"cold_ratio={cold / bare_median:.2f}")
    print(f"server_ratio={server / bare_median:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
