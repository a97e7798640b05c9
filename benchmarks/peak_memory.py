"""Peak memory of a cold `tubewiki ingest` of a very long video, for the whole process tree.

    python benchmarks/peak_memory.py TRANSCRIPT_DIR [--hours 3.5] [--interval 0.05]

TRANSCRIPT_DIR holds videos as `ID/transcript.json` (for example the dev
set). Their snippets are laid end to end, each video after the last, until
the transcript is `--hours` long; the result is written to a temporary file,
never to the repository. Then two fresh processes run, each sampled every
`--interval` seconds, summing the resident memory of the process and all its
children (the CLI, Prefect's temporary server, any worker):
- bare: spaCy's model over the same text, caption by caption in one `nlp.pipe`;
- ingest: `tubewiki ingest` of that transcript into a new vault.

Prints `words=`, `hours=`, `bare_mib=`, `ingest_mib=` (peaks) and the ingest's
`seconds=`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BARE = (
    "import json, sys; from tubewiki.nlp import load_nlp; nlp = load_nlp(); "
    "rows = json.load(open(sys.argv[1])); [None for _ in nlp.pipe(r['text'] for r in rows)]"
)


def long_transcript(folder: Path, hours: float) -> list[dict[str, object]]:
    """The folder's transcripts one after another, repeated and cut to `hours` long."""
    videos = sorted(folder.glob("*/transcript.json"))
    if not videos:
        raise SystemExit(f"no */transcript.json under {folder}")
    rows: list[dict[str, object]] = []
    offset = 0.0
    while offset < hours * 3600:
        for path in videos:
            snippets = json.loads(path.read_text(encoding="utf-8"))
            for s in snippets:
                rows.append({**s, "start": round(offset + float(s["start"]), 3)})
            last = snippets[-1]
            offset += float(last["start"]) + float(last.get("duration", 0)) + 1.0
            if offset >= hours * 3600:
                break
    return [r for r in rows if float(str(r["start"])) < hours * 3600]


def peak_rss(command: list[str], env: dict[str, str], interval: float) -> tuple[float, float]:
    """(peak MiB of the process tree, seconds) for one run of `command`."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        total = 0
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for each in tree:
            try:
                total += each.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        peak = max(peak, total)
        time.sleep(interval)
    seconds = time.perf_counter() - start
    _, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"{command[2:4]} failed ({proc.returncode}): {err.decode()[-800:]}")
    return peak / 2**20, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="videos as ID/transcript.json")
    parser.add_argument("--hours", type=float, default=3.5)
    parser.add_argument("--interval", type=float, default=0.05)
    args = parser.parse_args()
    rows = long_transcript(args.folder, args.hours)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        transcript = work / "long.json"
        transcript.write_text(json.dumps(rows), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env.update(PYTHONPATH=str(ROOT), TUBEWIKI_STATE_DIR=str(work / "state"))
        bare, _ = peak_rss([sys.executable, "-c", BARE, str(transcript)], env, args.interval)
        ingest = [
            sys.executable, "-m", "tubewiki.cli", "ingest", "LongVideo01", "--transcript",
            str(transcript), "--title", "A very long video", "--channel", "Benchmarks",
            "--vault", str(work / "vault"),
        ]  # fmt: skip
        peak, seconds = peak_rss(ingest, env, args.interval)
    words = sum(len(str(r["text"]).split()) for r in rows)
    print(f"words={words}")
    print(f"hours={float(str(rows[-1]['start'])) / 3600:.2f}")
    print(f"bare_mib={bare:.0f}")
    print(f"ingest_mib={peak:.0f}")
    print(f"seconds={seconds:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
