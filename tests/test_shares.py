"""Videos shared out by claiming: each taken once, longest first, and only when asked for."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import build_transcript
from tubewiki import shares
from tubewiki.cache import Source
from tubewiki.errors import StateError
from tubewiki.types import VideoMeta


def talk(video_id: str, words: int) -> Source:
    rows = [(float(i), 1.0, "word " * 10) for i in range(words // 10)]
    return Source(VideoMeta(video_id, f"Talk {video_id}", "Channel"), build_transcript(rows))


SOURCES = [talk("shortvid001", 20), talk("longvid0001", 300), talk("midvid00001", 100)]


def test_workers_taking_in_turn_get_every_video_once_longest_first(tmp_path: Path) -> None:
    folder = shares.lay_out(tmp_path, SOURCES)
    first, second = shares.take(folder), shares.take(folder)
    taken = [next(first).meta.video_id, next(second).meta.video_id]
    taken.append(next(first).meta.video_id)
    assert taken == ["longvid0001", "midvid00001", "shortvid001"]
    assert list(second) == [] and list(first) == []


def test_a_video_is_claimed_only_when_the_worker_asks_for_the_next(tmp_path: Path) -> None:
    folder = shares.lay_out(tmp_path, SOURCES)
    busy = shares.take(folder)
    assert next(busy).meta.video_id == "longvid0001"  # still studying it
    assert [s.meta.video_id for s in shares.take(folder)] == ["midvid00001", "shortvid001"]


def test_a_cleared_folder_is_gone_and_shares_live_in_the_state_folder(tmp_path: Path) -> None:
    folder = shares.lay_out(tmp_path, SOURCES)
    other = shares.lay_out(tmp_path, SOURCES[:1])
    assert folder.parent == tmp_path / ".tubewiki" / shares.SHARES_DIR and folder != other
    shares.clear(folder)
    assert not folder.exists() and other.is_dir()
    shares.clear(other)
    assert not (tmp_path / ".tubewiki" / shares.SHARES_DIR).exists()


def test_a_killed_runs_folder_is_cleared_by_the_next_run_on_its_machine(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process that has ended: the run it stood for was killed
    parent = tmp_path / ".tubewiki" / shares.SHARES_DIR
    host = socket.gethostname()
    killed = parent / f"{'a' * 32}-{gone.pid}-{host}"
    running = parent / f"{'b' * 32}-{os.getpid()}-{host}"
    elsewhere = parent / f"{'c' * 32}-{gone.pid}-not-{host}"
    for folder in (killed, running, elsewhere):
        (folder / "taken").mkdir(parents=True)
    new = shares.lay_out(tmp_path, SOURCES)
    assert sorted(parent.iterdir()) == sorted([new, running, elsewhere])
    assert next(shares.take(new)).meta.video_id == "longvid0001"


class Done:
    """A finished task's future: its result, or the error it failed with."""

    def __init__(self, outcome: object) -> None:
        self.outcome = outcome

    def result(self, raise_on_failure: bool = True) -> object:
        return self.outcome


def test_a_share_that_failed_as_a_whole_fails_only_the_videos_nobody_studied(
    tmp_path: Path,
) -> None:
    from flows.backfill import Shared

    folder = shares.lay_out(tmp_path, SOURCES)
    crashed = RuntimeError("worker died")
    studied = StateError("stands in for a study")  # what the other task returned for it
    shared = Shared(
        list(SOURCES),
        folder,
        [Done({"midvid00001": studied}), Done(crashed)],  # type: ignore[list-item]
    )
    assert shared.results() == [crashed, crashed, studied]  # in the order of the sources
    assert not folder.exists()
