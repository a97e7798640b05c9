"""How much an ingest slows as the vault grows: N entity notes against an empty vault.

    python benchmarks/vault_scale.py N VIDEO_DIR [--rounds R]

VIDEO_DIR is one video as `transcript.json` (+ optional `meta.json`), for
example a dev video. The script synthesises a valid vault of N entity notes
(made-up people, organisations and products, each with an alias, as a person
or earlier runs would leave them; none of them said in the video, so both
ingests do the same extraction), with the lexicon snapshot an earlier run
leaves. Then it ingests the video into a fresh copy of that vault (loaded
once first, so its note index is warm, as the run before leaves it) and into
an empty vault, alternately, through the library (no Prefect: this is the
vault-size cost alone). Prints each round, the medians and `ratio=`
(big / empty), and `pair_ratio=`, the median of each round's big / empty.

Each round then ingests into a second pair of vaults that already hold the
video's parse, so spaCy's share, which swings with the machine, is out of it:
`extra_s=` is the median of those pairs' big - empty, the vault-size cost in
seconds, and `steady_ratio=` is 1 + extra_s / empty_s, the ratio that cost
makes. On this 2-core machine, five runs at 1,800 notes gave `ratio=` from
1.00 to 1.21 and `steady_ratio=` from 1.02 to 1.06.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from timing import settle

from tubewiki import relink
from tubewiki.nlp import load_nlp
from tubewiki.pipeline import Request, ingest
from tubewiki.study import PARSED_DIR
from tubewiki.transcript_files import read_transcript_file
from tubewiki.vault import Vault

SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "tes",
    "vu",
    "ne",
    "dor",
    "pha",
    "lin",
    "gro",
    "sa",
    "bel",
    "tur",
    "qui",
    "zen",
    "mar",
    "ost",
    "iv",
    "ela",
]
LABELS = ("PERSON", "ORG", "PRODUCT")


def made_up_names(n: int, avoid: str = "", seed: int = 11) -> list[str]:
    """N distinct two-word names, none of which (nor its last word) occurs in `avoid`.

    The video's own text is avoided so both ingests do the same extraction
    work: a vault's names that the video says are its real work, not overhead.
    """
    rng = random.Random(seed)
    names: dict[str, None] = {}
    while len(names) < n:
        batch = []
        for _ in range(n - len(names)):
            words = ["".join(rng.choices(SYLLABLES, k=rng.randint(2, 3))).title() for _ in range(2)]
            batch.append(" ".join(words))
        said = avoid.lower()
        for name in batch:
            if not any(word.lower() in said for word in name.split()):
                names[name] = None
    return list(names)[:n]


def synthesise(vault: Path, n: int, avoid: str = "") -> None:
    """N entity notes in tubewiki's layout, each with a title, type and one alias."""
    folder = vault / "entities"
    folder.mkdir(parents=True)
    for i, name in enumerate(made_up_names(n, avoid)):
        slug = name.lower().replace(" ", "_")
        alias = name.split()[-1]
        label = LABELS[i % len(LABELS)]
        text = (
            f"---\ntitle: {name}\ntype: {label}\ntubewiki: entity\naliases:\n- {alias}\n---\n\n"
            f"Notes on **{name}**, kept by hand.\n"
        )
        (folder / f"{slug}.md").write_text(text, encoding="utf-8")
    (vault / ".tubewiki").mkdir()
    loaded = Vault.load(vault)  # an earlier run's note index
    ended = relink.prepare(vault, loaded, {}, {}, everything=True)  # and the lexicon it left
    for rel, data in relink.state_files(ended).items():
        (vault / ".tubewiki" / rel).parent.mkdir(parents=True, exist_ok=True)
        (vault / ".tubewiki" / rel).write_bytes(data)


def request(video: Path) -> Request:
    meta_path = video / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    return Request(
        video_id=str(meta.get("videoId") or "scalevideo1"),
        transcript_file=video / "transcript.json",
        title=meta.get("title") or "Scale video",
        channel=meta.get("channel") or "benchmarks",
    )


def timed_ingest(req: Request, vault: Path) -> float:
    start = time.perf_counter()
    ingest(req, vault)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="entity notes in the big vault")
    parser.add_argument("video", type=Path, help="a folder with transcript.json (+ meta.json)")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    req = request(args.video)
    load_nlp()
    big_s: list[float] = []
    empty_s: list[float] = []
    extra_s: list[float] = []  # big - empty, with the parse cached
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        text = " ".join(
            s.text for s in read_transcript_file(req.transcript_file, req.video_id).snippets
        )
        synthesise(work / "template", args.n, avoid=text)
        timed_ingest(req, work / "warm")  # caches and model warm, not counted
        for round_ in range(args.rounds):
            big = work / f"big{round_}"
            shutil.copytree(work / "template", big)
            Vault.load(big)  # the copy's note index, as the run before leaves it
            settle()
            big_s.append(timed_ingest(req, big))
            settle()
            empty_s.append(timed_ingest(req, work / f"empty{round_}"))
            extra_s.append(cached_extra(req, work, round_))
            print(
                f"round {round_ + 1}: big={big_s[-1]:.2f} empty={empty_s[-1]:.2f} "
                f"extra_with_parse_cached={extra_s[-1]:.3f}",
                flush=True,
            )
            shutil.rmtree(big)
    big, empty = statistics.median(big_s), statistics.median(empty_s)
    print(f"notes={args.n}")
    print(f"big_s={big:.2f}")
    print(f"empty_s={empty:.2f}")
    print(f"ratio={big / empty:.2f}")
    # Each round's pair ran back to back: their ratio is steadier when the machine's
    # speed drifts between rounds (on this 2-core machine, by up to 2x in an hour).
    pairs = [b / e for b, e in zip(big_s, empty_s, strict=True)]
    print(f"pair_ratio={statistics.median(pairs):.2f}")
    extra = statistics.median(extra_s)
    print(f"extra_s={extra:.3f}")
    print(f"steady_ratio={1 + extra / empty:.2f}")
    return 0


def cached_extra(req: Request, work: Path, round_: int) -> float:
    """One big and one empty ingest that find the video's parse cached: big - empty."""
    parsed = work / "warm" / ".tubewiki" / PARSED_DIR
    big, empty = work / f"cached_big{round_}", work / f"cached_empty{round_}"
    shutil.copytree(work / "template", big)
    Vault.load(big)
    for vault in (big, empty):
        shutil.copytree(parsed, vault / ".tubewiki" / PARSED_DIR)
    settle()
    big_took = timed_ingest(req, big)
    settle()
    empty_took = timed_ingest(req, empty)
    shutil.rmtree(big)
    return big_took - empty_took


if __name__ == "__main__":
    sys.exit(main())
