"""A backfill gives byte-identical notes whatever runs the extraction: processes or Dask.

Three small invented talks, in the three transcript layouts `backfill` reads,
are backfilled into two fresh vaults, once with the default process pool and
once with a local Dask cluster; every note must match byte for byte. The process
run goes through `tubewiki backfill`, as a user starts it.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
from pathlib import Path

import pytest
from prefect import flow, task
from typer.testing import CliRunner

from tests.vaults import check_notes, snapshot
from tubewiki.nlp import load_nlp

Cue = tuple[float, float, str]
TALKS: dict[str, tuple[str, str, list[Cue]]] = {
    "bfTalk00001": (
        "The Lighthouse Keepers",
        "Coastline Stories",
        [
            (0.0, 4.0, "Welcome to Coastline Stories."),
            (
                4.0,
                6.0,
                "The Skerry Point lighthouse was built in 1872 by the Northern Light Board.",
            ),
            (10.0, 6.0, "Its first keeper, Margit Halvorsen, kept the lamp burning for 31 years."),
            (16.0, 5.0, "Halvorsen logged more than four hundred storms in her diary."),
            (
                21.0,
                6.0,
                "In 1954 the Northern Light Board replaced the oil lamp with electric light.",
            ),
            (27.0, 5.0, "Today the Skerry Point Museum keeps her diary in a glass case."),
        ],
    ),
    "bfTalk00002": (
        "How Glass Is Made",
        "Workshop Hour",
        [
            (0.0, 5.0, "This week on Workshop Hour we visit the Brenner Glassworks in Ulm."),
            (5.0, 6.0, "The Brenner Glassworks has melted sand into glass since 1903."),
            (
                11.0,
                6.0,
                "Master blower Tomas Keller heats the furnace to 1400 degrees every morning.",
            ),
            (17.0, 5.0, "Keller trained twelve apprentices over thirty years."),
            (22.0, 6.0, "The Skerry Point lighthouse lens was cast here in 1954."),
        ],
    ),
    "bfTalk00003": (
        "Bees of the Old Orchard",
        "Coastline Stories",
        [
            (0.0, 5.0, "Margit Halvorsen also kept bees behind the lighthouse."),
            (5.0, 6.0, "Her orchard at Skerry Point produced ninety kilograms of honey in 1880."),
            (11.0, 6.0, "The Northern Beekeepers Guild awarded her a silver medal in 1885."),
            (17.0, 5.0, "The guild still meets every spring in Bergen."),
        ],
    ),
}


def _stamp(seconds: float, sep: str) -> str:
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}{sep}{millis:03d}"


def write_talks(folder: Path) -> Path:
    """One talk per layout: <id>/transcript.json + meta.json, <id>.srt and <id>.vtt."""
    (first, second, third) = TALKS
    title, channel, cues = TALKS[first]
    snippets = [{"text": t, "start": s, "duration": d} for s, d, t in cues]
    (folder / first).mkdir(parents=True)
    (folder / first / "transcript.json").write_text(json.dumps(snippets), encoding="utf-8")
    (folder / first / "meta.json").write_text(
        json.dumps({"title": title, "channel": channel}), encoding="utf-8"
    )
    srt = "".join(
        f"{n}\n{_stamp(s, ',')} --> {_stamp(s + d, ',')}\n{t}\n\n"
        for n, (s, d, t) in enumerate(TALKS[second][2], start=1)
    )
    (folder / f"{second}.srt").write_text(srt, encoding="utf-8")
    vtt = "WEBVTT\n\n" + "".join(
        f"{_stamp(s, '.')} --> {_stamp(s + d, '.')}\n{t}\n\n" for s, d, t in TALKS[third][2]
    )
    (folder / f"{third}.vtt").write_text(vtt, encoding="utf-8")
    return folder


def test_process_and_dask_backfills_write_identical_vaults(
    prefect_harness: None, tmp_path: Path
) -> None:
    from flows.backfill import backfill, on_runner
    from tubewiki.cli import app
    from tubewiki.ledger import Ledger

    talks = write_talks(tmp_path / "talks")
    by_process = CliRunner().invoke(app, ["backfill", str(talks), "--vault", f"{tmp_path}/process"])
    assert by_process.exit_code == 0, by_process.output
    assert "backfill: 3 ingested, 0 failed, 0 skipped" in by_process.output
    by_dask = on_runner(backfill, "dask")(path=str(talks), vault=str(tmp_path / "dask"))
    assert [f.video_id for f in by_dask.having("ingested")] == sorted(TALKS)
    assert by_dask.failed == () and by_dask.run is not None
    first, second = snapshot(tmp_path / "process"), snapshot(tmp_path / "dask")
    assert len(first) >= 6  # 3 video notes, 2 channel indexes, entity notes
    assert sorted(first) == sorted(second)
    for path, text in first.items():
        assert text == second[path], f"{path} differs between the process and Dask backfills"
    with Ledger.open(tmp_path / "process") as ledger:
        run = ledger.runs(1)[0]
        assert (run.kind, run.status, list(run.videos)) == ("backfill", "ok", sorted(TALKS))
        assert {v.video_id: v.status for v in ledger.videos()} == dict.fromkeys(TALKS, "ingested")

    transcripts = tmp_path / "transcripts"
    transcripts.mkdir()
    for video_id, (_, _, cues) in TALKS.items():
        data = [{"text": t, "start": s, "duration": d} for s, d, t in cues]
        (transcripts / f"{video_id}.json").write_text(json.dumps(data), encoding="utf-8")
    check_notes(tmp_path / "process", "--transcripts", str(transcripts), "--min-fidelity", "0.95")


def test_a_second_backfill_of_the_same_folder_changes_nothing(
    prefect_harness: None, tmp_path: Path
) -> None:
    from flows.backfill import backfill

    talks = write_talks(tmp_path / "talks")
    backfill(path=str(talks), vault=str(tmp_path / "vault"))
    before = snapshot(tmp_path / "vault")
    again = backfill(path=str(talks), vault=str(tmp_path / "vault"))
    assert again.run is not None and not again.run.created and not again.run.updated
    assert snapshot(tmp_path / "vault") == before


@task
def worker_facts(_: int) -> tuple[int, int, int, int, bool]:
    """This worker's pid, its parent's, its spaCy object, how often it loaded one, and
    whether the collector still walks that object (the fork server froze it)."""
    nlp = load_nlp()
    walked = any(o is nlp for o in gc.get_objects())
    return os.getpid(), os.getppid(), id(nlp), load_nlp.cache_info().misses, walked


@pytest.mark.skipif(
    "forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here"
)
def test_workers_come_warm_from_one_fork_server(prefect_harness: None) -> None:
    from flows.workers import api_shared_with_workers, make_task_runner

    @flow
    def probe() -> list[tuple[int, int, int, int, bool]]:
        with api_shared_with_workers():
            return [f.result() for f in worker_facts.map(range(6))]

    first, second = (
        probe.with_options(task_runner=make_task_runner("process", workers=2))() for _ in range(2)
    )
    workers = [{pid for pid, *_ in run} for run in (first, second)]
    assert all(1 <= len(pids) <= 2 for pids in workers)
    assert not workers[0] & workers[1]  # each run has a pool of its own
    servers = {parent for _, parent, *_ in first + second}
    assert len(servers) == 1  # one fork server for both runs
    assert not servers & {os.getpid()} and os.getpid() not in workers[0] | workers[1]
    # One spaCy, loaded once in the server before any task and inherited by every worker,
    # where the collector's full collections no longer walk it.
    assert len({model for _, _, model, *_ in first + second}) == 1
    assert {loads for *_, loads, _ in first + second} == {1}
    assert not any(walked for *_, walked in first + second)
