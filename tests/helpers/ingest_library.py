"""Ingest one transcript file with `tubewiki.pipeline.ingest`, no Prefect; the crash test kills it.

Usage: ingest_library.py VAULT VIDEO_ID TRANSCRIPT TITLE CHANNEL [--slow-writes SECONDS]

Prints "ready" once tubewiki and the spaCy pipeline are loaded, so the parent
can time its SIGKILL from the start of the real work, "commit" when the
journal commit of the notes begins, and "done" at the end. `--slow-writes`
sleeps before each staged or renamed file, like a slow disk, so that a kill
lands in the middle of a commit more often than by chance.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tubewiki import journal, pipeline
from tubewiki.nlp import load_nlp


def _slow(seconds: float) -> None:
    real_write, real_move = journal._write_file, journal._move_into_place

    def write_file(path: Path, data: bytes) -> None:
        time.sleep(seconds)
        real_write(path, data)

    def move_into_place(staged: Path, target: Path) -> None:
        time.sleep(seconds)
        real_move(staged, target)

    journal._write_file = write_file  # type: ignore[assignment]
    journal._move_into_place = move_into_place  # type: ignore[assignment]


def _announce_commit() -> None:
    real_commit = journal.commit

    def commit(*args, **kwargs):  # type: ignore[no-untyped-def]
        print("commit", flush=True)
        return real_commit(*args, **kwargs)

    journal.commit = commit  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("vault", type=Path)
    parser.add_argument("video_id")
    parser.add_argument("transcript", type=Path)
    parser.add_argument("title")
    parser.add_argument("channel")
    parser.add_argument("--slow-writes", type=float, default=0.0)
    args = parser.parse_args()
    if args.slow_writes:
        _slow(args.slow_writes)
    _announce_commit()
    load_nlp()
    print("ready", flush=True)
    request = pipeline.Request(args.video_id, args.transcript, args.title, args.channel)
    report = pipeline.ingest(request, args.vault)
    print("done", report.run_id, flush=True)


if __name__ == "__main__":
    main()
