"""Review what a run did, undo it exactly, and settle conflicts.

The ledger keeps every note's text before and after each run, so a run can be
shown as unified diffs and reverted byte for byte, as long as no later run (or
person) changed the same notes since; otherwise revert refuses and names them.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from tubewiki import sections
from tubewiki.errors import ReviewError, VaultError
from tubewiki.ledger import ChangeRow, Ledger, RunRow
from tubewiki.plan import Edit, SectionReport, refresh_entity_intro, vault_templates
from tubewiki.vault import Vault


def runs(vault: Path, limit: int = 20) -> list[RunRow]:
    with Ledger.read(vault) as ledger:
        return ledger.runs(limit)


def run_changes(vault: Path, ref: str = "last") -> tuple[RunRow, list[ChangeRow]]:
    with Ledger.read(vault) as ledger:
        run = ledger.run(ref)
        return run, ledger.changes(run.run_id)


def unified_diff(change: ChangeRow) -> str:
    before = (change.before or "").splitlines(keepends=True)
    after = (change.after or "").splitlines(keepends=True)
    old = f"a/{change.path}" if change.before is not None else "/dev/null"
    new = f"b/{change.path}" if change.after is not None else "/dev/null"
    return "".join(difflib.unified_diff(before, after, old, new))


def revert_edit(vault_root: Path, ref: str) -> Edit:
    """An edit for `pipeline.apply` that puts a run's notes back as they were."""

    def edit(vault: Vault) -> list[SectionReport]:
        with Ledger.open(vault_root) as ledger:
            run = ledger.run(ref)
            changes = ledger.changes(run.run_id)
            later = ledger.later_runs_touching(run.run_id, [c.path for c in changes])
        if later:
            blockers = "; ".join(f"{path} (runs {', '.join(ids)})" for path, ids in later.items())
            raise ReviewError(
                f"cannot revert run {run.run_id}: later runs changed its notes: {blockers}; "
                "revert those runs first"
            )
        edited = [c.path for c in changes if vault.original(c.path) != c.after]
        if edited:
            raise ReviewError(
                f"cannot revert run {run.run_id}: {', '.join(edited)} changed since it ran "
                "(edited by hand?); undo those edits or revert by hand"
            )
        for change in changes:
            if change.before is None:
                vault.delete(change.path)
            else:
                vault.restore(change.path, change.before)
        return []

    return edit


def resolve_edit(target: str, *, take_proposed: bool) -> Edit:
    """An edit that settles every conflict in one note (by path or slug)."""

    def edit(vault: Vault) -> list[SectionReport]:
        note = vault.notes.get(target) or vault.by_slug(Path(target).stem)
        if note is None:
            raise VaultError(f"no note '{target}' in the vault; pass its path or slug")
        pending = [
            b.key for b in sections.blocks(note.body, path=note.path) if b.kind == "proposed"
        ]
        if not pending:
            raise ReviewError(f"note '{note.path}' has no conflicts to resolve")
        for key in pending:
            note.body = sections.resolve(
                note.body, key, take_proposed=take_proposed, path=note.path
            )
        vault.put(note)
        if note.kind == "entity":  # its intro quotes the sections just settled
            refresh_entity_intro(vault, note, vault_templates(vault.root))
        return [SectionReport(note.path, key, sections.Outcome.REPLACED) for key in pending]

    return edit
