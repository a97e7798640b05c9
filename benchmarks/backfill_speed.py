"""How close the backfill flow comes to bare spaCy on the same machine.

    python benchmarks/backfill_speed.py DIR    # DIR/<id>/transcript.json + meta.json

Backfills every transcript in DIR into an empty temporary vault through the
`backfill` flow with its default task runner, then times bare `nlp.pipe` with
`n_process=2` over the same cleaned texts with the same components, warm. The
Prefect API is started before the clock runs (a deployment talks to a running
server), so the backfill figure covers the flow run itself: reading, worker
start-up and spaCy loading, extraction, and writing every note.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import flows.settings  # noqa: F401  (must run before Prefect reads its settings)

# isort: split
from prefect import flow

from flows.backfill import backfill
from tubewiki.backfill import sources_from_path
from tubewiki.extract import RULER, pipe_chunks
from tubewiki.nlp import load_nlp
from tubewiki.pipeline import acquire
from tubewiki.transcript import timed_text


@flow(name="benchmark-warm-up")
def warm_up() -> None:
    """Start Prefect's API before timing anything."""


def texts_of(folder: Path, vault: Path) -> list[str]:
    """The chunks spaCy sees during a backfill: cleaned, joined, cut at sentence ends."""
    texts: list[str] = []
    for request in sources_from_path(folder):
        source = acquire(request, vault=vault)
        texts += [chunk for _, chunk in pipe_chunks(timed_text(source.transcript))]
    return texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--processes", type=int, default=2, help="n_process for bare spaCy")
    args = parser.parse_args()

    warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "vault"
        texts = texts_of(args.folder, Path(tmp) / "scratch")
        words = sum(text.count(" ") + 1 for text in texts)
        start = time.perf_counter()
        report = backfill(path=str(args.folder), vault=str(vault))
        backfill_s = time.perf_counter() - start
        notes = len(list(vault.rglob("*.md")))

    nlp = load_nlp()
    with nlp.select_pipes(disable=[RULER]):  # a fresh vault has no names for the ruler
        list(nlp.pipe(texts[:8], n_process=args.processes, batch_size=16))  # warm
        start = time.perf_counter()
        list(nlp.pipe(texts, n_process=args.processes, batch_size=16))
        spacy_s = time.perf_counter() - start

    backfill_rate, spacy_rate = words / backfill_s, words / spacy_s
    print(f"videos={len(report.having('ingested'))}")
    print(f"notes={notes}")
    print(f"words={words}")
    print(f"backfill_s={backfill_s:.2f}")
    print(f"spacy_s={spacy_s:.2f}")
    print(f"backfill_words_per_s={backfill_rate:.0f}")
    print(f"spacy_words_per_s={spacy_rate:.0f}")
    print(f"ratio={backfill_rate / spacy_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
