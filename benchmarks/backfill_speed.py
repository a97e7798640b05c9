"""How close the backfill flow comes to bare spaCy on the same machine.

    python benchmarks/backfill_speed.py DIR [--limit N]   # DIR/<id>/transcript.json + meta.json

Backfills every transcript in DIR into an empty temporary vault through the
`backfill` flow with its default task runner, as `tubewiki backfill` runs it,
and times bare `nlp.pipe` with `n_process=2` over the same cleaned texts with
the same components. The two alternate for `--repeat` rounds, with a pause
before each, and each figure is the median of its rounds: this machine's speed
wanders by 10-15% from minute to minute.

Both are timed warm: one round of each runs first and is not counted. That
starts Prefect's API (a deployment talks to a running server) and the fork
server that the backfill's workers come from (`flows.workers`); a fresh
`tubewiki backfill` process starts both once, the fork server while Prefect's
server starts. Each timed backfill is a whole flow run: reading, a new pool of
workers, extraction, and writing every note into a new vault. `--copies N`
backfills each video N times under new ids (each copy's text opens with its
own sentence, so none is read from another's cached parse); `--limit N`
takes only the first N videos of DIR (in video-id order), so DIR can be a
folder of any size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from timing import settle

from flows.backfill import backfill
from flows.settings import local_run
from tubewiki.backfill import BatchReport, sources_from_path
from tubewiki.extract import pipe_chunks
from tubewiki.nlp import load_nlp
from tubewiki.pipeline import acquire
from tubewiki.transcript import timed_text
from tubewiki.transcript_files import read_transcript_file

if TYPE_CHECKING:
    from spacy.language import Language


def texts_of(folder: Path, vault: Path) -> list[str]:
    """The chunks spaCy sees during a backfill: cleaned, joined, cut at sentence ends."""
    texts: list[str] = []
    for request in sources_from_path(folder):
        source = acquire(request, vault=vault)
        texts += [chunk for _, chunk in pipe_chunks(timed_text(source.transcript))]
    return texts


def bare_spacy(nlp: Language, texts: list[str], processes: int) -> float:
    """Seconds for `nlp.pipe` over `texts`, warm, with the components a backfill uses."""
    start = time.perf_counter()
    list(nlp.pipe(texts, n_process=processes, batch_size=16))
    return time.perf_counter() - start


def timed_backfill(folder: Path, vault: Path) -> tuple[float, BatchReport]:
    start = time.perf_counter()
    report = backfill(path=str(folder), vault=str(vault))
    return time.perf_counter() - start, report


def limited(folder: Path, limit: int | None, into: Path) -> Path:
    """A folder of links to the first `limit` videos of `folder` (all of them: `folder`)."""
    requests = sources_from_path(folder)
    if limit is None or limit >= len(requests):
        return folder
    into.mkdir(parents=True)
    for request in requests[:limit]:
        assert request.transcript_file is not None
        entry = request.transcript_file
        if entry.parent != folder:  # <id>/transcript.json: link the video's folder
            entry = entry.parent
        (into / entry.name).symlink_to(entry.resolve())
    return into


def replicate(folder: Path, copies: int, into: Path) -> Path:
    """`copies` of every video under new ids, to see the rate once start-up is amortised.

    Each copy opens with its own short sentence, so its text differs from the other
    copies' and no copy is read from another's cached parse: the backfill then
    parses every copy, as bare spaCy does."""
    if copies <= 1:
        return folder
    for request in sources_from_path(folder):
        assert request.transcript_file is not None
        snippets = read_transcript_file(request.transcript_file, request.video_id).snippets
        for k in range(copies):
            target = into / f"{request.video_id[:9]}{k:02d}"
            target.mkdir(parents=True)
            rows = [{"text": s.text, "start": s.start, "duration": s.duration} for s in snippets]
            rows[0]["text"] = f"Copy {k}. {rows[0]['text']}"
            (target / "transcript.json").write_text(json.dumps(rows), encoding="utf-8")
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
    parser.add_argument("--repeat", type=int, default=3, help="rounds of both timings")
    parser.add_argument("--limit", type=int, default=None, help="only the first N videos")
    args = parser.parse_args()

    nlp = load_nlp()
    spacy_s: list[float] = []
    backfill_s: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, local_run():
        folder = limited(args.folder, args.limit, Path(tmp) / "limited")
        folder = replicate(folder, args.copies, Path(tmp) / "copies")
        texts = texts_of(folder, Path(tmp) / "scratch")
        words = sum(text.count(" ") + 1 for text in texts)
        bare_spacy(nlp, texts, args.processes)  # warm-up rounds, not counted
        timed_backfill(folder, Path(tmp) / "warm")
        for round_ in range(args.repeat):
            settle()
            spacy_s.append(bare_spacy(nlp, texts, args.processes))
            settle()
            seconds, report = timed_backfill(folder, Path(tmp) / f"vault{round_}")
            backfill_s.append(seconds)
        notes = len(list((Path(tmp) / "vault0").rglob("*.md")))

    backfill_rate = words / statistics.median(backfill_s)
    spacy_rate = words / statistics.median(spacy_s)
    print(f"videos={len(report.having('ingested'))}")
    print(f"notes={notes}")
    print(f"words={words}")
    print(f"backfill_s={' '.join(f'{s:.2f}' for s in backfill_s)}")
    print(f"spacy_s={' '.join(f'{s:.2f}' for s in spacy_s)}")
    print(f"backfill_words_per_s={backfill_rate:.0f}")
    print(f"spacy_words_per_s={spacy_rate:.0f}")
    print(f"ratio={backfill_rate / spacy_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
