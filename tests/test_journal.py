"""The journal: exact multi-file commits, path checks, recovery, the vault lock, kill -9."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tubewiki import journal
from tubewiki.errors import VaultError, VaultLockedError
from tubewiki.journal import STATE_DIR, commit, recover, state_dir, vault_lock

REPO = Path(__file__).resolve().parents[1]
HELPER = Path(__file__).parent / "helpers" / "crash_commit.py"


def snapshot(vault: Path) -> dict[str, bytes]:
    """Every file of the vault outside the state folder, by relative path."""
    return {
        p.relative_to(vault).as_posix(): p.read_bytes()
        for p in sorted(vault.rglob("*"))
        if p.is_file() and STATE_DIR not in p.relative_to(vault).parts
    }


def expected(before: dict[str, bytes], writes: dict[str, str | None]) -> dict[str, bytes]:
    after = dict(before)
    for rel, text in writes.items():
        if text is None:
            after.pop(rel, None)
        else:
            after[rel] = text.encode("utf-8")
    return after


def make_vault(vault: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (vault / rel).parent.mkdir(parents=True, exist_ok=True)
        (vault / rel).write_bytes(text.encode("utf-8"))


def txns(vault: Path) -> list[Path]:
    root = vault / STATE_DIR / "txn"
    return sorted(root.iterdir()) if root.exists() else []


# -- commit ---------------------------------------------------------------------


def test_commit_creates_updates_and_deletes_exactly(tmp_path: Path) -> None:
    make_vault(tmp_path, {"a.md": "old a\n", "gone.md": "bye\n", "keep.md": "keep\n"})
    before = snapshot(tmp_path)
    writes: dict[str, str | None] = {
        "a.md": "new a: café ☕\n",
        "notes/deep/new_note.md": "---\ntitle: x\n---\nno newline at end",
        "gone.md": None,
        "never_existed.md": None,
        "crlf.md": "kept\r\nas given\r\n",
    }
    commit(tmp_path, writes, meta={"run_id": "r1"})
    assert snapshot(tmp_path) == expected(before, writes)
    assert (tmp_path / "crlf.md").read_bytes() == b"kept\r\nas given\r\n"
    assert txns(tmp_path) == []
    assert not [p for p in (tmp_path / STATE_DIR).rglob("*") if p.name.endswith(".md")]


def test_empty_commit_is_a_no_op(tmp_path: Path) -> None:
    commit(tmp_path, {})
    assert snapshot(tmp_path) == {}
    assert txns(tmp_path) == []


def test_update_keeps_file_mode(tmp_path: Path) -> None:
    make_vault(tmp_path, {"a.md": "a\n"})
    (tmp_path / "a.md").chmod(0o640)
    commit(tmp_path, {"a.md": "b\n"})
    assert (tmp_path / "a.md").stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "/abs.md",
        "../up.md",
        "notes/../../up.md",
        "./a.md",
        "notes//a.md",
        "notes/a/",
        "notes\\a.md",
        "C:/a.md",
        ".tubewiki/x.md",
        ".tubewiki",
    ],
)
def test_invalid_paths_are_rejected_before_any_write(tmp_path: Path, bad: str) -> None:
    make_vault(tmp_path, {"a.md": "a\n"})
    with pytest.raises(VaultError, match="cannot write"):
        commit(tmp_path, {"b.md": "b\n", bad: "x\n"})
    assert snapshot(tmp_path) == {"a.md": b"a\n"}
    assert txns(tmp_path) == []


@pytest.mark.parametrize(
    "bad",
    ["lexicon/x.py", "lexicon/x", "lexicon/.json", "lexicon/a.b.json", "other/x.json", "x.pickle"],
)
def test_only_named_state_files_may_be_written(tmp_path: Path, bad: str) -> None:
    make_vault(tmp_path, {"a.md": "a\n"})
    state = {"lexicon/vault.pickle": b"\x80", "learned/v.json": b"{}", bad: b"x"}
    with pytest.raises(VaultError, match="not a state file"):
        commit(tmp_path, {"b.md": "b\n"}, state=state)
    del state[bad]
    commit(tmp_path, {"b.md": "b\n"}, state=state)
    assert (tmp_path / ".tubewiki" / "lexicon" / "vault.pickle").read_bytes() == b"\x80"


def test_paths_that_clash_with_folders_are_rejected(tmp_path: Path) -> None:
    make_vault(tmp_path, {"file.md": "f\n", "folder/x.md": "x\n"})
    for writes in ({"file.md/x.md": "y"}, {"folder": "y"}, {"d": "y", "d/x.md": "z"}):
        with pytest.raises(VaultError):
            commit(tmp_path, writes)
    assert snapshot(tmp_path) == {"file.md": b"f\n", "folder/x.md": b"x\n"}


def test_unserialisable_meta_stages_nothing(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        commit(tmp_path, {"a.md": "a"}, meta={"bad": object()})
    assert snapshot(tmp_path) == {}
    assert txns(tmp_path) == []


# -- recover --------------------------------------------------------------------


class Crash(BaseException):
    """Stands in for the process dying: nothing catches it."""


def test_recover_rolls_forward_a_half_applied_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_vault(tmp_path, {f"n{i}.md": f"old {i}\n" for i in range(6)})
    before = snapshot(tmp_path)
    writes: dict[str, str | None] = {f"n{i}.md": f"new {i}\n" for i in range(4)}
    writes.update({"n4.md": None, "sub/fresh.md": "fresh\n"})
    real_move = journal._move_into_place
    calls = 0

    def dying_move(staged: Path, target: Path) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise Crash
        real_move(staged, target)

    monkeypatch.setattr(journal, "_move_into_place", dying_move)
    with pytest.raises(Crash):
        commit(tmp_path, writes, meta={"run_id": "r42"})
    half = snapshot(tmp_path)
    assert half not in (before, expected(before, writes))  # really half-applied
    monkeypatch.setattr(journal, "_move_into_place", real_move)

    results = recover(tmp_path)
    assert [(r.action, dict(r.meta)) for r in results] == [("rolled_forward", {"run_id": "r42"})]
    assert set(results[0].paths) == set(writes)
    assert snapshot(tmp_path) == expected(before, writes)
    assert txns(tmp_path) == []
    assert recover(tmp_path) == []


def test_recover_rolls_back_a_commit_without_journal(tmp_path: Path) -> None:
    make_vault(tmp_path, {"a.md": "a\n"})
    txn = state_dir(tmp_path) / "txn" / "20260101T000000000000-abcdef"
    (txn / "files").mkdir(parents=True)
    (txn / "files" / "000000").write_text("staged but never committed\n")
    (txn / "meta.json").write_text(json.dumps({"run_id": "r7"}))
    (txn / "journal.json.tmp").write_text('{"half": ')
    results = recover(tmp_path)
    assert [(r.txn_id, r.action, dict(r.meta)) for r in results] == [
        (txn.name, "rolled_back", {"run_id": "r7"})
    ]
    assert snapshot(tmp_path) == {"a.md": b"a\n"}
    assert txns(tmp_path) == []


def test_on_applied_runs_with_notes_in_place_and_journal_kept(tmp_path: Path) -> None:
    seen: list[tuple[bytes, int]] = []

    def on_applied() -> None:
        seen.append(((tmp_path / "a.md").read_bytes(), len(txns(tmp_path))))

    commit(tmp_path, {"a.md": "a"}, on_applied=on_applied)
    assert seen == [(b"a", 1)]
    assert txns(tmp_path) == []


def test_a_failing_on_applied_undoes_the_write(tmp_path: Path) -> None:
    """The ledger could not record the run: the notes go back as they were, at once."""
    make_vault(tmp_path, {"a.md": "old a\n"})

    def boom() -> None:
        raise RuntimeError("ledger unavailable")

    with pytest.raises(RuntimeError):
        commit(tmp_path, {"a.md": "new a\n", "b.md": "b\n"}, meta={"run_id": "r1"}, on_applied=boom)
    assert snapshot(tmp_path) == {"a.md": b"old a\n"}
    assert txns(tmp_path) == [] and recover(tmp_path) == []


def test_failing_recovery_callbacks_keep_the_txn_for_the_next_recover(tmp_path: Path) -> None:
    def die() -> None:
        raise Crash

    def boom(*_: object) -> None:
        raise RuntimeError("ledger unavailable")

    with pytest.raises(Crash):
        commit(tmp_path, {"a.md": "a"}, meta={"run_id": "r1"}, on_applied=die)
    assert snapshot(tmp_path) == {"a.md": b"a"}
    with pytest.raises(RuntimeError):
        recover(tmp_path, on_recovered=boom)
    settled: list[str] = []
    results = recover(tmp_path, on_recovered=lambda r: settled.append(r.action))
    assert settled == ["rolled_forward"] and results[0].meta == {"run_id": "r1"}
    assert txns(tmp_path) == [] and snapshot(tmp_path) == {"a.md": b"a"}


def test_recover_drops_a_finished_txn_silently(tmp_path: Path) -> None:
    done = state_dir(tmp_path) / "txn" / "20260101T000000000000-abcdef.done"
    (done / "files").mkdir(parents=True)
    (done / "meta.json").write_text("{}")
    assert recover(tmp_path) == []
    assert txns(tmp_path) == []


def test_recover_with_nothing_to_do(tmp_path: Path) -> None:
    assert recover(tmp_path) == []


# -- the lock and the vault path ------------------------------------------------


def test_second_lock_times_out_while_a_thread_holds_it(tmp_path: Path) -> None:
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with vault_lock(tmp_path):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        with pytest.raises(VaultLockedError) as info, vault_lock(tmp_path, timeout=0.2):
            pass
        message = str(info.value)
        assert str(tmp_path) in message and "--lock-timeout" in message and "\n" not in message
    finally:
        release.set()
        thread.join()
    with vault_lock(tmp_path, timeout=1):
        pass


def test_lock_held_by_another_process(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from tubewiki.journal import vault_lock\n"
        "with vault_lock(Path(sys.argv[1])):\n"
        "    print('locked', flush=True); sys.stdin.readline()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(VaultLockedError), vault_lock(tmp_path, timeout=0.2):
            pass
    finally:
        proc.stdin.write("\n")
        proc.stdin.close()
        proc.wait(10)
    with vault_lock(tmp_path, timeout=5):
        pass


def test_lock_is_reentrant_in_one_thread(tmp_path: Path) -> None:
    with vault_lock(tmp_path, timeout=1), vault_lock(tmp_path, timeout=1):
        commit(tmp_path, {"a.md": "a"})
    assert snapshot(tmp_path) == {"a.md": b"a"}


def test_vault_path_that_is_a_file(tmp_path: Path) -> None:
    vault = tmp_path / "vault.md"
    vault.write_text("not a folder")
    for action in (
        lambda: vault_lock(vault).__enter__(),
        lambda: commit(vault, {"a.md": "a"}),
        lambda: recover(vault),
    ):
        with pytest.raises(VaultError, match="is a file, not a folder; pass a folder with --vault"):
            action()


def test_state_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / STATE_DIR).write_text("oops")
    with pytest.raises(VaultError, match="state"):
        state_dir(tmp_path)


# -- kill -9 --------------------------------------------------------------------


def crash_case() -> tuple[dict[str, str], dict[str, str | None]]:
    """100 existing notes; a commit of 200 operations: 80 updates, 20 deletes, 100 creates."""
    big = "A long paragraph about [[entity]] with an anchor. " * 6_000  # ~300 kB
    before = {
        f"notes/ch{i % 4}/video_{i:03d}.md": f"---\ntitle: v{i}\n---\nold {i}\n" for i in range(100)
    }
    writes: dict[str, str | None] = {}
    for i, rel in enumerate(before):
        if i < 80:
            writes[rel] = f"---\ntitle: v{i}\n---\nnew {i} é\n" + (big if i % 20 == 0 else "")
        else:
            writes[rel] = None
    for i in range(100):
        text = f"---\ntitle: e{i}\n---\nentity {i}\n" + (big if i % 25 == 0 else "")
        writes[f"notes/entities/e{i % 7}/entity_{i:03d}.md"] = text
    return before, writes


def run_and_kill(vault: Path, spec: Path, kill_when: float | str) -> float:
    """Run the helper and SIGKILL it after a delay or at a phase ("never": let it finish).

    Returns the seconds from "ready" to the kill or the end.
    """
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(HELPER), str(vault), str(spec)],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    start = time.monotonic()
    txn_root = vault / STATE_DIR / "txn"
    if kill_when == "never":
        assert proc.stdout.read().strip() == "done"
    elif isinstance(kill_when, float):
        time.sleep(kill_when)
    else:  # poll for a phase: "staging" (some files staged) or "journal" (committed)
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            found = list(txn_root.glob("*/files/*" if kill_when == "staging" else "*/journal.json"))
            if len(found) >= (20 if kill_when == "staging" else 1):
                break
    proc.kill()
    elapsed = time.monotonic() - start
    proc.stdout.close()
    proc.wait(10)
    return elapsed


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")
def test_kill_9_leaves_before_or_after(tmp_path: Path) -> None:
    before_files, writes = crash_case()
    spec = tmp_path / "writes.json"
    spec.write_text(json.dumps(writes), encoding="utf-8")

    calibrate = tmp_path / "calibrate"
    make_vault(calibrate, before_files)
    before = snapshot(calibrate)
    after = expected(before, writes)
    duration = run_and_kill(calibrate, spec, "never")
    assert snapshot(calibrate) == after

    moments: list[float | str] = [duration * 1.1 * i / 14 for i in range(15)]
    moments += ["staging", "journal", "journal"]
    seen: dict[str, int] = {}
    for n, moment in enumerate(moments):
        vault = tmp_path / f"vault{n}"
        make_vault(vault, before_files)
        run_and_kill(vault, spec, moment)
        now = snapshot(vault)
        pre = "before" if now == before else "after" if now == after else "mixed"
        results = recover(vault)
        final = snapshot(vault)
        assert final in (before, after), f"kill at {moment}: neither before nor after"
        assert txns(vault) == []
        for result in results:
            assert result.meta == {"run_id": "crash-test"} or result.action == "rolled_back"
            assert final == (after if result.action == "rolled_forward" else before)
        outcome = f"{pre}->{'after' if final == after else 'before'}"
        seen[outcome] = seen.get(outcome, 0) + 1
    print(f"commit took {duration:.2f} s; outcomes: {seen}")
    assert any(k.endswith("->before") for k in seen), seen
    assert any(k.endswith("->after") for k in seen), seen
