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
