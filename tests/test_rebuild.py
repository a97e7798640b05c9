"""`rebuild-vault` re-extracts every cached transcript on the backfill's worker pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.vaults import snapshot
from tubewiki.pipeline import Request, ingest

FIXTURES = Path(__file__).parent / "fixtures" / "lifecycle"
A = Request("OrbitalA_01", FIXTURES / "orbital_freight_story.json", "Orbital freight", "Launch")
B = Request("OrbitalB_02", FIXTURES / "rideshare_rivals.json", "Rideshare rivals", "Launch")


@pytest.mark.slow
def test_rebuild_recreates_deleted_notes_byte_for_byte(
    prefect_harness: None, tmp_path: Path
) -> None:
    from flows.rebuild import rebuild_vault

    vault = tmp_path / "vault"
    ingest(A, vault)
    ingest(B, vault)
    built = snapshot(vault)
    video = next(p for p in built if p.endswith("/rideshare_rivals.md"))
    gone = [*[p for p in built if p.startswith("entities/")][:3], video]
    for rel in gone:
        (vault / rel).unlink()

    report = rebuild_vault(vault=str(vault))

    assert sorted(report.created) == sorted(gone)  # re-extracted, by the workers
    assert snapshot(vault) == built
    again = rebuild_vault(vault=str(vault))
    assert not (again.created or again.updated or again.deleted)


def notes_by_video(vault: Path) -> dict[str, set[str]]:
    """From the files: each video's note, its channel's and the entity notes citing it."""
    import frontmatter

    metas = {
        p.relative_to(vault).as_posix(): frontmatter.load(p).metadata
        for p in vault.rglob("*.md")
        if ".tubewiki" not in p.parts
    }
    found: dict[str, set[str]] = {}
    for path, meta in metas.items():
        if meta.get("tubewiki") == "video":
            channel = f"{meta['channel']}/{meta['channel']}.md"
            found.setdefault(str(meta["videoId"]), set()).update({path, channel})
    for path, meta in metas.items():
        if meta.get("tubewiki") == "entity":
            for video_id in meta.get("videos", []):
                found[video_id].add(path)
    return found


def ledger_notes(vault: Path) -> dict[str, set[str]]:
    from tubewiki.ledger import Ledger

    with Ledger.read(vault) as ledger:
        return {row.video_id: set(row.notes) for row in ledger.videos()}


def test_each_video_lists_all_its_notes_after_a_run_that_changed_none(
    tmp_path: Path, nlp: object
) -> None:
    from tubewiki.pipeline import rebuild

    vault = tmp_path / "vault"
    ingest(A, vault)
    ingest(B, vault)
    expected = notes_by_video(vault)
    assert all(len(paths) > 3 for paths in expected.values())
    assert ledger_notes(vault) == expected
    report = rebuild(vault)
    assert not (report.created or report.updated or report.deleted)
    assert ledger_notes(vault) == expected  # not emptied by a run that wrote nothing
