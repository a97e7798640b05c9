"""Ingest speed against bare spaCy on the same text, same components, same run.

    python benchmarks/ingest_speed.py TRANSCRIPT.json [--repeat N]

Prints spacy_words_per_s, ingest_words_per_s, ratio, and flow_s / pipeline_s:
the wall time of one warm ingest run as the Prefect flow and as the library.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
from timing import settle

from tubewiki.extract import pipe_chunks
from tubewiki.nlp import load_nlp
from tubewiki.pipeline import Request, ingest
from tubewiki.transcript import timed_text
from tubewiki.transcript_files import read_transcript_file

VIDEO_ID = "benchmark01"


def bare_spacy(chunks: list[str]) -> float:
    """Seconds for nlp.pipe alone, with the components and batching ingest uses."""
    nlp = load_nlp()
    start = time.perf_counter()
    for _ in nlp.pipe(chunks, batch_size=16):
        pass
    return time.perf_counter() - start


def library_ingest(path: Path, vault: Path) -> float:
    start = time.perf_counter()
    ingest(Request(VIDEO_ID, path, "Benchmark video", "benchmarks"), vault)
    return time.perf_counter() - start


def flow_ingest(path: Path, vault: Path) -> float:
    """One run of the flow, as `tubewiki ingest` runs it."""
    from flows.ingest import ingest_video
    from flows.settings import local_run

    start = time.perf_counter()
    with local_run():
        ingest_video(
            video=VIDEO_ID,
            transcript=str(path),
            title="Benchmark video",
            channel="benchmarks",
            vault=str(vault),
        )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("transcript", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    timed = timed_text(read_transcript_file(args.transcript, VIDEO_ID))
    chunks = [chunk for _, chunk in pipe_chunks(timed)]
    words = timed.words
    work = Path(tempfile.mkdtemp(prefix="tubewiki-bench-"))
    try:
        bare_spacy(chunks)  # warm: model loaded, caches filled
        library_ingest(args.transcript, work / "warm")
        flow_ingest(args.transcript, work / "warm-flow")  # starts Prefect's server
        spacy_s, pipeline_s, flow_s = [], [], []
        for i in range(args.repeat):
            # The flow first: Prefect's background work settles during the pause,
            # so it does not steal the CPU from the two timings compared by `ratio`.
            flow_s.append(flow_ingest(args.transcript, work / f"flow{i}"))
            settle()
            spacy_s.append(bare_spacy(chunks))
            settle()
            pipeline_s.append(library_ingest(args.transcript, work / f"lib{i}"))
            settle()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    spacy_rate = words / statistics.median(spacy_s)
    ingest_rate = words / statistics.median(pipeline_s)
    print(f"words={words}")
    print(f"spacy_words_per_s={spacy_rate:.0f}")
    print(f"ingest_words_per_s={ingest_rate:.0f}")
    print(f"ratio={ingest_rate / spacy_rate:.2f}")
    print(f"flow_s={statistics.median(flow_s):.2f}")
    print(f"pipeline_s={statistics.median(pipeline_s):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
