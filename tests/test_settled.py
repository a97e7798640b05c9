"""The no-op shortcut: a re-ingest is skipped only when it would write the same bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.vaults import snapshot
from tubewiki import settled
from tubewiki.ledger import Ledger
from tubewiki.pipeline import Request, RunReport, ingest

FIXTURES = Path(__file__).parent / "fixtures" / "lifecycle"
A = Request("OrbitalA_01", FIXTURES / "orbital_freight_story.json", "Orbital freight", "Launch")
B = Request("OrbitalB_02", FIXTURES / "rideshare_rivals.json", "Rideshare rivals", "Launch")


def runs(vault: Path) -> int:
    with Ledger.open(vault) as ledger:
        return len(ledger.runs(limit=1000))


def skipped(report: RunReport, vault: Path, before: int) -> bool:
    """True when `report` is a skip: no ledger run was added and nothing changed."""
    return runs(vault) == before and not (report.created or report.updated or report.deleted)


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    ingest(A, root)
    ingest(B, root)
    return root


def test_same_input_twice_is_skipped_and_names_the_run(vault: Path) -> None:
    first = ingest(A, vault)  # B changed the vault since A: this one runs
    before, notes = runs(vault), snapshot(vault)
    again = ingest(A, vault)
    assert skipped(again, vault, before)
    assert again.run_id == first.run_id
    assert snapshot(vault) == notes


def test_a_skip_leaves_exactly_what_a_real_run_leaves(vault: Path, tmp_path: Path) -> None:
    ingest(A, vault)
    real = tmp_path / "real"
    shutil.copytree(vault, real)
    shutil.rmtree(real / ".tubewiki" / settled.SETTLED_DIR)  # no record: a full run
    before = runs(real)
    ingest(A, real)
    assert runs(real) == before + 1
    ingest(A, vault)  # skipped
    assert snapshot(real) == snapshot(vault)


@pytest.mark.parametrize("change", ["edit outside markers", "new note", "delete note", "other run"])
def test_any_change_to_the_vault_runs_it_again(vault: Path, change: str) -> None:
    ingest(A, vault)
    entity = next((vault / "entities").glob("*.md"))
    if change == "edit outside markers":
        entity.write_text(entity.read_text(encoding="utf-8") + "\nMy own line.\n", "utf-8")
    elif change == "new note":
        (vault / "mine.md").write_text("---\ntitle: Mine\n---\n\nHello.\n", encoding="utf-8")
    elif change == "delete note":
        entity.unlink()
    else:  # another run that changes the vault (one that changes nothing may be skipped)
        ingest(Request(B.video_id, B.transcript_file, "Rideshare rivals, retold", B.channel), vault)
    before = runs(vault)
    ingest(A, vault)
    assert runs(vault) == before + 1


def test_other_inputs_run_it_again(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest(A, vault)
    before = runs(vault)
    ingest(Request(A.video_id, A.transcript_file, "Another title", A.channel), vault)
    assert runs(vault) == before + 1  # the transcript's hash covers title and channel
    ingest(Request(A.video_id, A.transcript_file, "Another title", A.channel), vault, force=True)
    assert runs(vault) == before + 2  # --force never skips
    monkeypatch.setattr(settled, "code_fingerprint", lambda: "a-newer-tubewiki")
    ingest(Request(A.video_id, A.transcript_file, "Another title", A.channel), vault)
    assert runs(vault) == before + 3


def test_forced_runs_are_never_recorded(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    ingest(A, root, force=True)
    assert not (root / ".tubewiki" / settled.SETTLED_DIR / f"{A.video_id}.json").exists()
    ingest(A, root)
    assert (root / ".tubewiki" / settled.SETTLED_DIR / f"{A.video_id}.json").exists()


@pytest.mark.parametrize("when", ["edit", "new note"])
def test_a_note_changed_while_the_run_held_the_vault_runs_it_again(
    vault: Path, when: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record reuses the stamps the run's load took; a person's edit made between
    that load and the record (an editor takes no lock) must still break the match."""
    record = settled.record

    def edited_first(*args: object, **kwargs: object) -> None:
        if when == "edit":
            entity = next((vault / "entities").glob("*.md"))
            entity.write_text(entity.read_text(encoding="utf-8") + "\nMine.\n", "utf-8")
        else:
            (vault / "mine.md").write_text("---\ntitle: Mine\n---\n\nHello.\n", encoding="utf-8")
        record(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(settled, "record", edited_first)
    ingest(A, vault)
    monkeypatch.setattr(settled, "record", record)
    before = runs(vault)
    ingest(A, vault)
    assert runs(vault) == before + 1
    before = runs(vault)
    ingest(A, vault)  # and now that the run saw the edit, the same input is skipped again
    assert runs(vault) == before
