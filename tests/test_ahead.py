"""The vault read ahead of the lock: used when no notes moved since, else read again."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tubewiki import ahead, journal, pipeline
from tubewiki.pipeline import Request, ingest
from tubewiki.vault import Vault, note_stamps

FIXTURES = Path(__file__).parent / "fixtures" / "lifecycle"
CHANNEL = "Launch Ledger"
REQUEST_A = Request("OrbitalA_01", FIXTURES / "orbital_freight_story.json", "Orbital", CHANNEL)
REQUEST_B = Request("OrbitalB_02", FIXTURES / "rideshare_rivals.json", "Rideshare", CHANNEL)
SHARED = "entities/dana_whitfield.md"  # A creates it, B adds its section
KEPT = "Written by another run while this one parsed."


def test_a_commit_undo_or_recovery_renews_the_changes_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / journal.STATE_DIR).mkdir()
    seen = {journal.changes_token(tmp_path)}
    journal.commit(tmp_path, {"a.md": "a\n"})
    seen.add(journal.changes_token(tmp_path))

    def boom() -> None:
        raise RuntimeError("the ledger refused")

    with pytest.raises(RuntimeError):
        journal.commit(tmp_path, {"a.md": "b\n"}, on_applied=boom)  # applied, then undone
    seen.add(journal.changes_token(tmp_path))
    assert (tmp_path / "a.md").read_text() == "a\n"

    def killed(*args: object) -> None:
        raise KeyboardInterrupt  # past the commit point, before any note moved

    with monkeypatch.context() as patched:
        patched.setattr(journal, "_move_all", killed)
        with pytest.raises(KeyboardInterrupt):
            journal.commit(tmp_path, {"a.md": "c\n"})
    seen.add(journal.changes_token(tmp_path))
    assert [r.action for r in journal.recover(tmp_path)] == ["rolled_forward"]
    seen.add(journal.changes_token(tmp_path))
    assert len(seen) == 5
    assert (tmp_path / "a.md").read_text() == "c\n"


def test_a_read_ahead_serves_only_while_no_notes_moved(tmp_path: Path) -> None:
    ingest(REQUEST_A, tmp_path)
    ahead.start(tmp_path)
    taken = ahead.take(tmp_path)
    assert taken is not None and taken.stamps == note_stamps(tmp_path)
    assert ahead.take(tmp_path) is None  # one read ahead serves one run
    ahead.start(tmp_path)
    ahead._reading[tmp_path.absolute()].result()  # the reads are done before the commit
    with journal.vault_lock(tmp_path):
        journal.commit(tmp_path, {SHARED: (tmp_path / SHARED).read_text() + KEPT + "\n"})
    assert ahead.take(tmp_path) is None


@pytest.mark.parametrize("contested", [False, True])
def test_a_run_sees_what_another_committed_while_it_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, contested: bool
) -> None:
    """Another run commits to the note this one updates, after this one's read ahead:
    this run must read the vault again and keep that run's words."""
    ingest(REQUEST_A, tmp_path)
    read_done = threading.Event()
    real_read, real_study, real_load = ahead.read, pipeline.study, Vault.load
    given: list[object] = []

    def read(vault: Path) -> ahead.Ahead:
        try:
            return real_read(vault)
        finally:
            read_done.set()

    def study(vault: Path, source: pipeline.Source) -> pipeline.Study:
        found = real_study(vault, source)
        assert read_done.wait(30)
        if contested:
            with journal.vault_lock(vault):
                text = (vault / SHARED).read_text(encoding="utf-8") + "\n" + KEPT + "\n"
                journal.commit(vault, {SHARED: text})
        return found

    def load(cls: type[Vault], root: Path, early: ahead.Ahead | None = None) -> Vault:
        given.append(early)
        return real_load.__func__(cls, root, early)  # type: ignore[attr-defined]

    monkeypatch.setattr(ahead, "read", read)
    monkeypatch.setattr(pipeline, "study", study)
    monkeypatch.setattr(Vault, "load", classmethod(load))
    ingest(REQUEST_B, tmp_path)
    assert len(given) == 1
    assert (given[0] is None) == contested  # read again only when notes moved
    text = (tmp_path / SHARED).read_text(encoding="utf-8")
    assert "OrbitalB_02" in text  # B's section landed
    assert (KEPT in text) == contested  # and the other run's words stayed
