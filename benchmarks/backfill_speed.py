"""How close the backfill flow comes to bare spaCy on the same machine.

    python benchmarks/backfill_speed.py DIR    # DIR/<id>/transcript.json + meta.json

Backfills every transcript in DIR into an empty temporary vault through the
`backfill` flow with its default task runner, and times bare `nlp.pipe` with
`n_process=2` over the same cleaned texts with the same components, warm,
before and after it (the faster counts). The Prefect API is started before the
clock runs (a deployment talks to a running server), so the backfill figure
covers the flow run itself: reading, worker start-up and spaCy loading,
extraction, and writing every note. `--copies N` backfills each video N times
under new ids, to see the rate once the fixed start-up cost is amortised.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from flows.backfill import backfill
from tubewiki.backfill import sources_from_path
from tubewiki.extract import RULER, pipe_chunks
from tubewiki.nlp import load_nlp
from tubewiki.pipeline import acquire
from tubewiki.transcript import timed_text

if TYPE_CHECKING:
    from spacy.language import Language


def warm_up() -> None:
    """Run as a flow to start Prefect's API before timing anything."""


def texts_of(folder: Path, vault: Path) -> list[str]:
    """The chunks spaCy sees during a backfill: cleaned, joined, cut at sentence ends."""
    texts: list[str] = []
    for request in sources_from_path(folder):
        source = acquire(request, vault=vault)
        texts += [chunk for _, chunk in pipe_chunks(timed_text(source.transcript))]
    return texts


def bare_spacy(nlp: Language, texts: list[str], processes: int) -> float:
    """Seconds for `nlp.pipe` over `texts`, warm, with the components a backfill uses."""
    with nlp.select_pipes(disable=[RULER]):  # a fresh vault has no names for the ruler
        list(nlp.pipe(texts[:8], n_process=processes, batch_size=16))  # warm
        start = time.perf_counter()
        list(nlp.pipe(texts, n_process=processes, batch_size=16))
        return time.perf_counter() - start


def replicate(folder: Path, copies: int, into: Path) -> Path:
    """`copies` of every video under new ids, to see the rate once start-up is amortised."""
    if copies <= 1:
        return folder
    for request in sources_from_path(folder):
        assert request.transcript_file is not None
        for k in range(copies):
            target = into / f"{request.video_id[:9]}{k:02d}"
            target.mkdir(parents=True)
            shutil.copy(
                request.transcript_file, target / f"transcript{request.transcript_file.suffix}"
            )
            meta = {
                "title": f"{request.title or request.video_id} ({k})",
                "channel": request.channel,
            }
            (target / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--processes", type=int, default=2, help="n_process for bare spaCy")
    parser.add_argument("--copies", type=int, default=1, help="backfill each video N times")
    args = parser.parse_args()

    from prefect import flow  # after `flows`, which sets tubewiki's Prefect defaults

    flow(name="benchmark-warm-up")(warm_up)()
    nlp = load_nlp()
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "vault"
        folder = replicate(args.folder, args.copies, Path(tmp) / "copies")
        texts = texts_of(folder, Path(tmp) / "scratch")
        words = sum(text.count(" ") + 1 for text in texts)
        spacy_before = bare_spacy(nlp, texts, args.processes)
        start = time.perf_counter()
        report = backfill(path=str(folder), vault=str(vault))
        backfill_s = time.perf_counter() - start
        notes = len(list(vault.rglob("*.md")))
    # Timed before and after the backfill; the faster counts, so a busy moment
    # on a shared machine cannot flatter the ratio.
    spacy_s = min(spacy_before, bare_spacy(nlp, texts, args.processes))

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
