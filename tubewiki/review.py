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
            undone = _undone(ledger, [run.run_id, *_in_order(later)])
        alive = {i for ids in later.values() for i in ids} - undone.keys()
        if run.run_id in undone:
            raise ReviewError(
                f"run {run.run_id} was already reverted by run {undone[run.run_id]}; "
                "nothing to undo"
            )
        later = {p: left for p, ids in later.items() if (left := [i for i in ids if i in alive])}
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


def _in_order(later: dict[str, list[str]]) -> list[str]:
    """The run ids of `later_runs_touching`, oldest first, each once."""
    return list(dict.fromkeys(i for ids in later.values() for i in ids))


def _undone(ledger: Ledger, run_ids: list[str]) -> dict[str, str]:
    """Runs among `run_ids` cancelled by a later one of them, both ways: {run: its undoer}.

    A revert's changes are its run's changes backwards, so a run and its
    revert together changed nothing, and neither stands in the way of
    reverting an earlier run.
    """
    order = {r.run_id: n for n, r in enumerate(reversed(ledger.runs(limit=-1)))}
    ids = sorted(run_ids, key=lambda i: order.get(i, -1))
    inverse = {i: _as_undone(ledger.changes(i)) for i in ids}
    done = {i: frozenset((c.path, c.before, c.after) for c in ledger.changes(i)) for i in ids}
    pairs: dict[str, str] = {}
    for n, earlier in enumerate(ids):
        for undoer in ids[n + 1 :]:
            if earlier in pairs or undoer in pairs:
                continue
            if done[undoer] and done[undoer] == inverse[earlier]:
                pairs[earlier] = undoer
                pairs[undoer] = earlier
    return pairs


def _as_undone(changes: list[ChangeRow]) -> frozenset[tuple[str, str | None, str | None]]:
    return frozenset((c.path, c.after, c.before) for c in changes)


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
