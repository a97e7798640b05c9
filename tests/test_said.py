"""Which videos say a name: the FTS5 index answers as reading every video's text does.

`said.videos_saying` looks names up in `.tubewiki/said.sqlite`, which follows
the `said/<id>.json` files by their stamps. This Hypothesis state machine
writes, rewrites, damages and deletes those files, deletes the index, and
asks with names of every length (shorter than a trigram too), quotes and
non-ASCII letters included; every answer must be what searching each file
gives, a video with a missing or damaged file always in it, and must come from
the index, not from the files it falls back to when SQLite fails.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from tubewiki import said
from tubewiki.said import INDEX_FILE, SAID_DIR, videos_saying

VIDEOS = tuple(f"vid{n:08d}" for n in range(5))
LETTERS = 'ab"σé'  # few letters, so names are often said and often nearly said
texts = st.text(LETTERS, max_size=12)
needles = st.lists(st.text(LETTERS, min_size=1, max_size=5), max_size=4)


class Said(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.vault = Path(tempfile.mkdtemp())
        self.folder = self.vault / ".tubewiki" / SAID_DIR
        self.folder.mkdir(parents=True)

    def teardown(self) -> None:
        shutil.rmtree(self.vault, ignore_errors=True)

    def path(self, video: str) -> Path:
        return self.folder / f"{video}.json"

    @rule(video=st.sampled_from(VIDEOS), text=texts)
    def say(self, video: str, text: str) -> None:
        """A video studied (again): its file written, as a run's commit writes it."""
        self.path(video).write_text(json.dumps(text), encoding="utf-8")

    @rule(video=st.sampled_from(VIDEOS), damage=st.sampled_from(('{"not": "text"}', "{cut")))
    def damage(self, video: str, damage: str) -> None:
        self.path(video).write_text(damage, encoding="utf-8")

    @rule(video=st.sampled_from(VIDEOS))
    def forget(self, video: str) -> None:
        self.path(video).unlink(missing_ok=True)

    @rule()
    def lose_the_index(self) -> None:
        (self.vault / ".tubewiki" / INDEX_FILE).unlink(missing_ok=True)

    @rule(asked=st.sets(st.sampled_from(VIDEOS)), names=needles)
    def ask(self, asked: set[str], names: list[str]) -> None:
        with mock.patch.object(said, "_scanned", side_effect=AssertionError("index unused")):
            assert videos_saying(self.vault, asked, names) == self.scanned(asked, set(names))

    def scanned(self, asked: set[str], names: set[str]) -> set[str]:
        if not names:
            return set()
        found = set()
        for video in asked:
            try:
                said = json.loads(self.path(video).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                said = None
            if not isinstance(said, str) or any(n in said for n in names):
                found.add(video)
        return found


Said.TestCase.settings = settings(max_examples=80, stateful_step_count=20, deadline=None)
test_the_index_answers_as_the_files_do = Said.TestCase


def test_an_index_sqlite_cannot_open_falls_back_to_the_files(tmp_path: Path) -> None:
    folder = tmp_path / ".tubewiki" / SAID_DIR
    folder.mkdir(parents=True)
    for video, text in (("vidAAAAAAA1", "thegpuworks"), ("vidBBBBBBB2", "nothinghere")):
        (folder / f"{video}.json").write_text(json.dumps(text), encoding="utf-8")
    (tmp_path / ".tubewiki" / INDEX_FILE).write_bytes(b"not a database, whatever it was" * 100)
    asked = {"vidAAAAAAA1", "vidBBBBBBB2", "vidCCCCCCC3"}  # the last has no file
    assert videos_saying(tmp_path, asked, {"gpu"}) == {"vidAAAAAAA1", "vidCCCCCCC3"}


def test_a_video_gone_from_the_vault_leaves_the_index(tmp_path: Path) -> None:
    folder = tmp_path / ".tubewiki" / SAID_DIR
    folder.mkdir(parents=True)
    for video in ("vidAAAAAAA1", "vidBBBBBBB2"):
        (folder / f"{video}.json").write_text(json.dumps("thegpuworks"), encoding="utf-8")
    assert videos_saying(tmp_path, {"vidAAAAAAA1", "vidBBBBBBB2"}, {"gpu"}) == {
        "vidAAAAAAA1",
        "vidBBBBBBB2",
    }
    (folder / "vidBBBBBBB2.json").unlink()
    assert videos_saying(tmp_path, {"vidAAAAAAA1"}, {"gpu"}) == {"vidAAAAAAA1"}
    with sqlite3.connect(tmp_path / ".tubewiki" / INDEX_FILE) as db:
        kept = [v for (v,) in db.execute("SELECT video FROM files")]
        texts = db.execute("SELECT count(*) FROM said").fetchone()[0]
    db.close()
    assert (kept, texts) == (["vidAAAAAAA1"], 1)
