"""A lexicon handed to workers by reference: a small path instead of 10k entities.

Prefect walks every task parameter (`visit_collection`) and pickles it for a
process worker; a 10,000-note vault's lexicon made that a large share of each
extraction task. So the flow writes the lexicon once, as JSON named by its
own hash, into the vault's state folder, and tasks get a `LexiconRef`. Each
worker reads a given file once. Workers must see the vault's folder (local
processes and a local Dask cluster do).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from tubewiki.cache import Learned
from tubewiki.errors import VaultError
from tubewiki.journal import state_dir
from tubewiki.pipeline import Lexicon
from tubewiki.types import KnownEntity

LEXICON_DIR = "lexicons"
KEEP_S = 7 * 24 * 3600  # older files belong to no run still going


@dataclass(frozen=True, slots=True)
class LexiconRef:
    """Where a run's lexicon is; the file's name is its content's hash, so it never changes."""

    path: str

    def load(self) -> Lexicon:
        return _load(self.path)


def share(vault: Path, lexicon: Lexicon) -> LexiconRef:
    """Write `lexicon` for the workers (once per content) and return its reference."""
    text = json.dumps(
        {
            "known": [asdict(k) for k in lexicon.known],
            "learned": {v: asdict(r) for v, r in sorted(lexicon.learned.items())},
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    folder = state_dir(vault) / LEXICON_DIR
    folder.mkdir(exist_ok=True)
    path = folder / f"{hashlib.sha256(text.encode()).hexdigest()[:20]}.json"
    if not path.is_file():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        _prune(folder, keep=path)
    else:
        os.utime(path)  # in use again: not pruned for another week
    return LexiconRef(str(path.resolve()))


@cache
def _load(path: str) -> Lexicon:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VaultError(
            f"the run's lexicon '{path}' cannot be read ({exc}); extraction workers must see "
            "the vault's folder: run again, or use local workers"
        ) from exc
    known = tuple(
        KnownEntity(**{**k, "aliases": tuple(k["aliases"]), "formerly": tuple(k["formerly"])})
        for k in data["known"]
    )
    learned = {video: Learned(**record) for video, record in data["learned"].items()}
    return Lexicon(known, learned)


def _prune(folder: Path, keep: Path) -> None:
    cutoff = time.time() - KEEP_S
    for old in folder.glob("*.json"):
        if old != keep and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
