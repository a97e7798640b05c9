"""Fault injection: every fault gives one line, a documented exit code, and a consistent vault.

Each case breaks something (the disk, the ledger, Prefect's API, the input,
another editor's note), runs the real command, and checks three things: one
`error: ...` line on stderr with no traceback, the exit code the README lists,
and the vault's bytes before and after. Faults the kernel would raise (a full
disk, a read-only file system) are injected as the same `OSError` at each
write site, because root in a container ignores permissions and may not mount.
The ingest command runs `pipeline.ingest` in place of the Prefect flow (the
`plain_ingest` fixture) so each case takes a second; one case runs the real
flow against a dead `PREFECT_API_URL`.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tests.vaults import DERIVED, check_notes
from tubewiki import pipeline, relink
from tubewiki.cli import app
from tubewiki.pipeline import Request
from tubewiki.sanitize import safe_text
from tubewiki.study import study

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "lifecycle"
TRANSCRIPT_A = FIXTURES / "orbital_freight_story.json"
TRANSCRIPT_B = FIXTURES / "rideshare_rivals.json"
VIDEO_A, VIDEO_B = "OrbitalA_01", "OrbitalB_02"
CHANNEL = "Launch Ledger"
ENV: dict[str, str | None] = {"COLUMNS": "200", "TUBEWIKI_VAULT": None}


# --- helpers ----------------------------------------------------------------------


def invoke(*args: str | Path) -> Result:
    return CliRunner(env=ENV).invoke(app, [str(a) for a in args])


def one_line_error(result: Result, code: int) -> str:
    """Exit `code`, one `error: ...` line on stderr, no traceback; returns the line."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.startswith("error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root`, state folder included, with its bytes (not derived caches)."""
    return {
        rel: p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and not p.is_symlink()
        and not (rel := p.relative_to(root).as_posix()).startswith(DERIVED)
    }


def but_ledger(files: dict[str, bytes]) -> dict[str, bytes]:
    """Files other than the ledger, which records a refused run as "failed"."""
    return {k: v for k, v in files.items() if k != ".tubewiki/ledger.sqlite"}


def notes(root: Path) -> dict[str, bytes]:
    return notes_of(tree(root))


def notes_of(files: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if not k.startswith(".tubewiki/")}


def ingest_args(vault: Path, video: str = VIDEO_A, transcript: Path = TRANSCRIPT_A) -> list[Any]:
    return [
        "ingest", video, "--transcript", transcript, "--title", f"Talk {video}",
        "--channel", CHANNEL, "--vault", vault,
    ]  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def _prefect_logs_outside_the_runner() -> None:
    """Bind Prefect's log handler to the real stderr before CliRunner swaps it (see test_cli)."""
    import flows  # noqa: F401  (analytics off before Prefect reads settings)

    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
    import prefect.main  # noqa: F401


@pytest.fixture
def plain_ingest(monkeypatch: pytest.MonkeyPatch) -> None:
    """`tubewiki ingest` runs the same stages as the flow, without starting Prefect."""
    import flows.ingest

    def ingest_video(**kw: Any) -> pipeline.RunReport:
        request = Request(
            video_id=kw["video"],
            transcript_file=Path(kw["transcript"]) if kw["transcript"] else None,
            title=kw["title"],
            channel=kw["channel"],
        )
        return pipeline.ingest(request, Path(kw["vault"]), force=kw["force"])

    monkeypatch.setattr(flows.ingest, "ingest_video", ingest_video)


@pytest.fixture(scope="module")
def one_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    vault = tmp_path_factory.mktemp("one") / "vault"
    pipeline.ingest(Request(VIDEO_A, TRANSCRIPT_A, title=f"Talk {VIDEO_A}", channel=CHANNEL), vault)
    return vault


@pytest.fixture
def vault(one_video: Path, tmp_path: Path) -> Path:
    """A fresh copy of a vault holding one ingested video."""
    copy = tmp_path / "vault"
    shutil.copytree(one_video, copy)
    return copy


# --- the ledger -------------------------------------------------------------------


def garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[100 : 100 + 4096] = b"A" * 4096
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("command", [["runs"], ["review", "last"], ["status"]])
def test_garbled_ledger_is_one_line_exit_13(vault: Path, command: list[str]) -> None:
    garble(vault / ".tubewiki" / "ledger.sqlite")
    before = tree(vault)
    message = one_line_error(invoke(*command, "--vault", vault), 13)
    assert "ledger.sqlite' is damaged" in message and "tubewiki doctor" in message
    assert tree(vault) == before


def test_garbled_ledger_stops_an_ingest_with_the_vault_unchanged(
    vault: Path, plain_ingest: None
) -> None:
    garble(vault / ".tubewiki" / "ledger.sqlite")
    before = tree(vault)
    one_line_error(invoke(*ingest_args(vault, VIDEO_B, TRANSCRIPT_B)), 13)
    assert tree(vault) == before


# --- Prefect ----------------------------------------------------------------------


def test_dead_prefect_api_is_one_line_exit_11(tmp_path: Path) -> None:
    """The real flow, in a child process, against a port nothing listens on."""
    vault = tmp_path / "vault"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PREFECT_API_URL": "http://127.0.0.1:9/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "COLUMNS": "200",
    }
    env.pop("PREFECT_LOGGING_LEVEL", None)
    done = subprocess.run(
        [sys.executable, "-m", "tubewiki.cli", *map(str, ingest_args(vault))],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 11, done.stderr
    assert done.stderr.startswith("error: Prefect could not run the flow: Failed to reach API")
    assert done.stderr.count("\n") == 1, done.stderr  # no EventsWorker warning after it
    assert done.stdout == ""
    assert not vault.exists()


def test_zero_byte_ledger_is_reported_not_replaced(vault: Path, plain_ingest: None) -> None:
    (vault / ".tubewiki" / "ledger.sqlite").write_bytes(b"")
    before = tree(vault)
    message = one_line_error(invoke("review", "--vault", vault), 13)
    assert "is empty (0 bytes)" in message
    one_line_error(invoke(*ingest_args(vault, VIDEO_B, TRANSCRIPT_B)), 13)
    assert tree(vault) == before


def test_missing_ledger_is_reported_not_replaced(vault: Path, plain_ingest: None) -> None:
    (vault / ".tubewiki" / "ledger.sqlite").unlink()
    before = tree(vault)
    assert "is missing" in one_line_error(invoke("runs", "--vault", vault), 13)
    assert "is missing" in one_line_error(invoke(*ingest_args(vault, VIDEO_B, TRANSCRIPT_B)), 13)
    assert tree(vault) == before


# --- real file systems: a small tmpfs, read-only or full --------------------------------


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[Path]:
    """An empty 4 MB tmpfs, unmounted afterwards; skipped where we may not mount."""
    point = tmp_path / "mnt"
    point.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(point)],
            capture_output=True,
            check=False,
        )
    except OSError as exc:  # no mount command
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def remount(point: Path, option: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{option}", str(point)], check=True)


@pytest.mark.parametrize("command", [["runs"], ["review", "last"], ["status"]])
def test_read_only_vault_can_be_inspected(one_video: Path, mount: Path, command: list[str]) -> None:
    vault = mount / "vault"
    shutil.copytree(one_video, vault)
    remount(mount, "ro")
    before = tree(vault)
    result = invoke(*command, "--vault", vault)
    assert result.exit_code == 0, result.stderr
    assert VIDEO_A in result.stdout or "run " in result.stdout
    assert tree(vault) == before


def test_read_only_vault_refuses_an_ingest_in_one_line(
    one_video: Path, mount: Path, plain_ingest: None
) -> None:
    vault = mount / "vault"
    shutil.copytree(one_video, vault)
    remount(mount, "ro")
    before = tree(vault)
    message = one_line_error(invoke(*ingest_args(vault, VIDEO_B, TRANSCRIPT_B)), 12)
    assert "Read-only file system" in message and "read-only" in message
    assert tree(vault) == before


# --- odd input: refused while the transcript is read, before anything is stored ----------


def _json_transcript(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('[{"text": "Big.", "start": 1e308, "duration": 1}]', "between 0 and 100 hours"),
        ('[{"text": "Late.", "start": 360000, "duration": 1}]', "between 0 and 100 hours"),
        ('[{"text": "Long.", "start": 0, "duration": 1e400}]', "not a number of seconds"),
        ('[{"text": "Huge.", "start": 1' + "0" * 400 + "}]", "not a number of seconds"),
        ('[{"text": "Digits.", "start": ' + "9" * 5001 + "}]", "cannot be read as JSON"),
        ("[" * 100_000 + "]" * 100_000, "cannot be read as JSON"),
        ('[{"text": "' + "word " * 4_000_000 + '", "start": 0}]', "characters, more than"),
        ('[{"text": "a", "start": 1}' + ', {"text": "a", "start": 1}' * 200_000 + "]", "entries"),
    ],
    ids=["1e308", "100h", "inf", "big-int", "5001-digits", "nested", "20MB-snippet", "count"],
)
def test_odd_numbers_and_sizes_are_refused_exit_3(
    vault: Path, tmp_path: Path, body: str, says: str
) -> None:
    transcript = _json_transcript(tmp_path / "odd.json", body)
    before = tree(vault)
    message = one_line_error(invoke(*ingest_args(vault, VIDEO_B, transcript)), 3)
    assert says in message and "odd.json" in message
    assert tree(vault) == before


def test_srt_past_100_hours_is_refused(vault: Path, tmp_path: Path) -> None:
    srt = tmp_path / "late.srt"
    srt.write_text("1\n277777777:46:49,000 --> 277777777:46:50,000\nToo late.\n", "utf-8")
    before = tree(vault)
    message = one_line_error(invoke(*ingest_args(vault, VIDEO_B, srt)), 3)
    assert "between 0 and 100 hours" in message
    assert tree(vault) == before


def test_a_cached_transcript_out_of_bounds_is_named(vault: Path) -> None:
    cached = vault / ".tubewiki" / "transcripts" / f"{VIDEO_A}.json"
    cached.write_text(cached.read_text("utf-8").replace('"start": 0', '"start": 1e308', 1))
    before = tree(vault)
    message = one_line_error(invoke("rebuild", "--vault", vault), 13)
    assert f"cached transcript '{cached}' is corrupt" in message
    assert tree(vault) == before


# --- hostile titles and channel names ----------------------------------------------------

HOSTILE = re.compile("<img|<script|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
RESERVED = {"con", "prn", "aux", "nul", *(f"{s}{n}" for s in ("com", "lpt") for n in range(10))}


@pytest.mark.parametrize(
    ("title", "channel"),
    [
        ("Nice video <img src=x onerror=alert(document.cookie)>", "Launch <script>x()</script>"),
        ("Bell\x07 and NUL\x00 and ESC\x1b[31m red", "evil\u202eReversed"),
        ("Con", "NUL"),
    ],
    ids=["html", "control", "reserved"],
)
def test_hostile_titles_are_made_safe(
    tmp_path: Path, plain_ingest: None, title: str, channel: str
) -> None:
    vault = tmp_path / "vault"
    args = ingest_args(vault)
    args[args.index("--title") + 1] = title
    args[args.index("--channel") + 1] = channel
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    written = notes(vault)
    assert written
    for path, data in written.items():
        assert not HOSTILE.search(data.decode("utf-8")), path
        assert not {part.removesuffix(".md") for part in path.split("/")} & RESERVED, path
    check_notes(vault)


def test_safe_text_keeps_what_is_harmless() -> None:
    assert safe_text("A < B &amp; C > D") == "A ‹ B & C › D"
    assert safe_text("Tab\tand\nnewline") == "Tab and newline"
    assert safe_text("Ünïcödé 🚀 titles") == "Ünïcödé 🚀 titles"
    assert safe_text("x" * 400).endswith("…") and len(safe_text("x" * 400)) == 300


# --- notes saved by other editors: a BOM, CRLF ---------------------------------------------

INDEX = "launch_ledger/launch_ledger.md"
MINE = "My own line, which no tool may touch.  \r\n"


def _as_other_editor(vault: Path, rel: str) -> bytes:
    """Re-save a note as Windows Notepad would: BOM, CRLF, and a line of the person's own."""
    path = vault / rel
    text = path.read_bytes().decode("utf-8").replace("\n", "\r\n") + "\r\n" + MINE
    data = b"\xef\xbb\xbf" + text.encode("utf-8")
    path.write_bytes(data)
    return data


def test_bom_and_crlf_notes_are_recognised_and_kept(vault: Path) -> None:
    original = _as_other_editor(vault, INDEX)
    report = pipeline.ingest(
        Request(VIDEO_B, TRANSCRIPT_B, title=f"Talk {VIDEO_B}", channel=CHANNEL), vault
    )
    assert INDEX in report.updated
    assert sorted(p.name for p in vault.iterdir() if p.is_dir()) == [
        ".tubewiki",
        "entities",
        "launch_ledger",
    ]  # fmt: skip  (no second channel folder)
    data = (vault / INDEX).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf---\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert MINE.encode() in data
    assert f"Talk {VIDEO_B}".encode() in data
    result = invoke("revert", "last", "--vault", vault)
    assert result.exit_code == 0, result.stderr
    assert (vault / INDEX).read_bytes() == original


def test_an_error_inside_the_real_flow_is_one_line_without_prefect_warnings(
    vault: Path,
) -> None:
    """A note breaks the run after the flow has started (temporary Prefect server, child
    process): no "EventsWorker - Still processing items" line may follow the error."""
    note = next((vault / "entities").glob("*.md"))
    note.write_text(note.read_text("utf-8").replace("---\n", "---\ntitle: [unclosed\n", 1))
    before = tree(vault)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    for name in ("PREFECT_API_URL", "PREFECT_LOGGING_LEVEL"):
        env.pop(name, None)
    args = [
        sys.executable,
        "-m",
        "tubewiki.cli",
        *map(str, ingest_args(vault, VIDEO_B, TRANSCRIPT_B)),
    ]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 7, done.stderr
    assert done.stderr.startswith("error: note ") and done.stderr.count("\n") == 1, done.stderr
    assert tree(vault) == before


# --- the disk refuses a write: one line, exit 12, the vault as it was -----------------------


def _after_b(one_video: Path, tmp_path: Path) -> dict[str, bytes]:
    """The notes a successful ingest of video B gives, for comparison."""
    done = tmp_path / "reference"
    shutil.copytree(one_video, done)
    pipeline.ingest(Request(VIDEO_B, TRANSCRIPT_B, title=f"Talk {VIDEO_B}", channel=CHANNEL), done)
    return notes(done)


def _settled(vault: Path) -> list[str]:
    """Every run's status, oldest first, read as `tubewiki runs` reads it."""
    from tubewiki import review

    return [r.status for r in reversed(review.runs(vault, 100))]


def _no_leftovers(vault: Path) -> None:
    state = vault / ".tubewiki"
    assert not list(state.glob("txn/*")), list(state.glob("txn/*"))
    assert not [p for p in vault.rglob("*") if "tmp" in p.name], "a temporary file is left"


def _fail_on_call(n: int, error: int) -> Callable[..., Any]:
    calls = 0

    def fail(real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            if calls == n:
                raise OSError(error, os.strerror(error), str(args[-1]))
            return real(*args, **kwargs)

        return wrapper

    return fail


@pytest.fixture(scope="module")
def b_writes(one_video: Path, tmp_path_factory: pytest.TempPathFactory) -> int:
    """How many files video B's run writes (notes, its cached transcript, its learned names)."""
    from tubewiki import journal

    copy = tmp_path_factory.mktemp("count") / "vault"
    shutil.copytree(one_video, copy)
    calls = 0
    real = journal._move_into_place

    def counting(staged: Path, target: Path) -> None:
        nonlocal calls
        calls += 1
        real(staged, target)

    journal._move_into_place = counting  # type: ignore[assignment]
    try:
        pipeline.ingest(
            Request(VIDEO_B, TRANSCRIPT_B, title=f"Talk {VIDEO_B}", channel=CHANNEL), copy
        )
    finally:
        journal._move_into_place = real  # type: ignore[assignment]
    assert calls >= 4
    return calls


@pytest.mark.parametrize(
    ("site", "nth", "code"),
    [  # n: the files B's run writes. _write_file: the meta, n staged files, the journal
        ("_write_file", lambda n: 1, 12),  # the journal's meta
        ("_write_file", lambda n: 3, 12),  # a staged note
        ("_write_file", lambda n: n + 2, 12),  # the journal itself, past every staged file
        ("_keep_old", lambda n: 2, 12),  # keeping an old file to undo with
        ("_move_into_place", lambda n: 1, 12),  # the first file into place
        ("_move_into_place", lambda n: n // 2 + 1, 12),  # halfway
        ("_move_into_place", lambda n: n, 12),  # the last one
        ("_move_into_place", lambda n: n + 1, 0),  # never: the ingest succeeds
    ],
    ids=["meta", "staged", "journal", "keep-old", "first", "halfway", "last", "never"],
)
def test_disk_full_at_each_write_site(
    vault: Path,
    one_video: Path,
    tmp_path: Path,
    plain_ingest: None,
    monkeypatch: pytest.MonkeyPatch,
    b_writes: int,
    site: str,
    nth: Callable[[int], int],
    code: int,
) -> None:
    from tubewiki import journal

    failing = _fail_on_call(nth(b_writes), errno.ENOSPC)(getattr(journal, site))
    monkeypatch.setattr(journal, site, failing)
    before = tree(vault)
    result = invoke(*ingest_args(vault, VIDEO_B, TRANSCRIPT_B))
    monkeypatch.undo()
    assert result.exit_code == code, result.stderr
    if code == 0:
        assert notes(vault) == _after_b(one_video, tmp_path)
        assert (vault / ".tubewiki" / "transcripts" / f"{VIDEO_B}.json").is_file()
        assert _settled(vault) == ["ok", "ok"]
    else:
        message = one_line_error(result, 12)
        assert "No space left on device" in message and "free some disk space" in message
        assert but_ledger(tree(vault)) == but_ledger(before)
        assert not (vault / ".tubewiki" / "transcripts" / f"{VIDEO_B}.json").exists()
        assert not (vault / ".tubewiki" / "learned" / f"{VIDEO_B}.json").exists()
        assert _settled(vault) == ["ok", "failed"]
        status = invoke("status", "--vault", vault)
        assert VIDEO_B not in status.stdout
    _no_leftovers(vault)


def test_a_failed_plan_caches_nothing_and_rebuild_still_works(
    vault: Path, plain_ingest: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise ValueError("planning broke")

    monkeypatch.setattr(pipeline, "plan_video", broken)
    before = tree(vault)
    message = one_line_error(invoke(*ingest_args(vault, VIDEO_B, TRANSCRIPT_B)), 1)
    assert "unexpected ValueError: planning broke" in message and "--verbose" in message
    monkeypatch.undo()
    assert notes(vault) == {k: v for k, v in before.items() if not k.startswith(".tubewiki/")}
    assert sorted(p.name for p in (vault / ".tubewiki" / "transcripts").iterdir()) == [
        f"{VIDEO_A}.json"
    ]
    report = pipeline.write(
        vault, [(s, study(vault, s)) for s in pipeline.rebuild_sources(vault)], kind="rebuild"
    )
    assert report.videos == (VIDEO_A,)


@pytest.mark.parametrize("folder", ["txn", "transcripts"])
def test_a_state_folder_that_is_a_file(vault: Path, plain_ingest: None, folder: str) -> None:
    path = vault / ".tubewiki" / folder
    shutil.rmtree(path, ignore_errors=True)
    path.write_text("in the way\n")
    before = tree(vault)
    message = one_line_error(invoke(*ingest_args(vault, VIDEO_B, TRANSCRIPT_B)), 7)
    assert f"'{path}' is a file" in message and "move the file away" in message
    assert but_ledger(tree(vault)) == but_ledger(before)
    assert _settled(vault)[-1] in ("ok", "failed")  # the refused run, if it got that far


def _chattr(flag: str, path: Path) -> bool:
    try:
        return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0
    except OSError:  # no chattr command
        return False


def test_an_immutable_entities_folder_is_undone_at_once(vault: Path, plain_ingest: None) -> None:
    """`chattr +i entities/`: the channel index lands first, then entities/ refuses."""
    entities = vault / "entities"
    if not _chattr("+i", entities):
        pytest.skip("chattr +i is not supported here")
    try:
        before = tree(vault)
        message = one_line_error(invoke(*ingest_args(vault, VIDEO_B, TRANSCRIPT_B)), 12)
        assert "Operation not permitted" in message
        assert but_ledger(tree(vault)) == but_ledger(before)
    finally:
        _chattr("-i", entities)
    assert _settled(vault) == ["ok", "failed"]
    _no_leftovers(vault)
    check_notes(vault)  # no dangling links


def test_a_full_tmpfs_leaves_the_vault_before_or_after(
    one_video: Path, mount: Path, tmp_path: Path, plain_ingest: None
) -> None:
    """A real full disk: at every level of free space, the ingest lands whole or not at all."""
    after = _after_b(one_video, tmp_path)
    outcomes = set()
    for free_kb in (0, 8, 24, 48, 96, 160, 320, 1024):
        vault = mount / "vault"
        shutil.rmtree(vault, ignore_errors=True)
        shutil.copytree(one_video, vault)
        before = tree(vault)
        filler = mount / "filler"
        stats = os.statvfs(mount)
        filler.write_bytes(b"\0" * max(0, stats.f_bavail * stats.f_frsize - free_kb * 1024))
        result = invoke(*ingest_args(vault, VIDEO_B, TRANSCRIPT_B))
        filler.unlink()
        outcomes.add(result.exit_code)
        if result.exit_code == 0:
            assert notes(vault) == after, free_kb
        else:
            message = one_line_error(result, 12)
            assert "No space left on device" in message or "disk is full" in message, message
            assert notes(vault) == notes_of(before), free_kb
            assert not (vault / ".tubewiki" / "transcripts" / f"{VIDEO_B}.json").exists()
            # A run the full ledger could not even mark failed stays "running" until
            # the next writing command recovers (runs, review and status only read).
            invoke("doctor", "--repair", "--vault", vault)
            assert "running" not in _settled(vault)
        _no_leftovers(vault)
    assert outcomes == {0, 12}, outcomes


# --- symlinks -------------------------------------------------------------------------------


def test_a_symlink_out_of_the_vault_is_refused(
    vault: Path, tmp_path: Path, plain_ingest: None
) -> None:
    outside = tmp_path / "elsewhere"
    shutil.move(vault / "entities", outside)
    (vault / "entities").symlink_to(outside, target_is_directory=True)
    before, theirs = tree(vault), tree(outside)
    message = one_line_error(invoke(*ingest_args(vault, VIDEO_B, TRANSCRIPT_B)), 7)
    assert "a symlink in its path leads out of the vault" in message
    assert but_ledger(tree(vault)) == but_ledger(before)
    assert tree(outside) == theirs


# --- locks ------------------------------------------------------------------------------------

HOLD = (
    "import sys; from pathlib import Path; from tubewiki.journal import vault_lock\n"
    "sys.argv = ['tubewiki', 'ingest', 'SomeVideo01']\n"
    "with vault_lock(Path(sys.stdin.readline().strip())):\n"
    "    print('held', flush=True); sys.stdin.readline()\n"
)


@pytest.fixture
def held(vault: Path) -> Iterator[int]:
    """Another process holds the vault's lock, as a running `tubewiki ingest` would."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env=env,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(f"{vault}\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "held"
    try:
        yield proc.pid
    finally:
        proc.stdin.write("\n")
        proc.stdin.close()
        proc.wait(10)


@pytest.mark.parametrize(
    "command", [["revert", "last"], ["rename", "tucson", "tucson_az"], ["ingest", VIDEO_B]]
)
def test_a_locked_vault_says_at_once_who_holds_it(
    vault: Path, held: int, plain_ingest: None, command: list[str]
) -> None:
    before = tree(vault)
    args = [*command, "--vault", vault, "--lock-timeout", "0.5"]
    if command[0] == "ingest":
        args = [*ingest_args(vault, VIDEO_B, TRANSCRIPT_B), "--lock-timeout", "0.5"]
    result = invoke(*args)
    assert result.exit_code == 7, result.stderr
    waiting, error = result.stderr.splitlines()
    holder = f"pid {held} (tubewiki ingest SomeVideo01, since "
    assert waiting.startswith("waiting: waiting up to 0.5 s for vault") and holder in waiting
    assert error.startswith(f"error: vault '{vault}' is locked by {holder}")
    assert "waited 0.5 s" in error and "--lock-timeout" in error
    assert "Traceback" not in result.stderr
    assert tree(vault) == {
        **before,
        ".tubewiki/lock.owner.json": tree(vault)[".tubewiki/lock.owner.json"],
    }


def test_every_writing_command_has_lock_timeout() -> None:
    import typer.main

    root = typer.main.get_command(app)
    writing = ["ingest", "rebuild", "revert", "merge", "rename", "resolve", "backfill"]
    for name in writing:
        options = {p.name for p in root.commands[name].params}  # type: ignore[attr-defined]
        assert "lock_timeout" in options, name
    watch = root.commands["watch"].commands["run"]  # type: ignore[attr-defined]
    assert "lock_timeout" in {p.name for p in watch.params}


# --- doctor -----------------------------------------------------------------------------------


def test_doctor_on_a_healthy_vault(vault: Path) -> None:
    before = tree(vault)
    result = invoke("doctor", "--vault", vault)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "problem" not in result.stdout and "1 runs, 1 videos" in result.stdout
    assert tree(vault) == before


def test_doctor_repairs_a_garbled_ledger(vault: Path, plain_ingest: None) -> None:
    garble(vault / ".tubewiki" / "ledger.sqlite")
    checked = invoke("doctor", "--vault", vault)
    assert checked.exit_code == 13
    assert "problem" in checked.stdout and "is damaged" in checked.stdout
    assert checked.stderr.startswith("error: 1 problem(s)") and "--repair" in checked.stderr
    repaired = invoke("doctor", "--repair", "--vault", vault)
    assert repaired.exit_code == 0, repaired.stdout + repaired.stderr
    assert "a new ledger lists 1 videos" in repaired.stdout
    assert list((vault / ".tubewiki").glob("ledger.sqlite.damaged-*"))
    assert VIDEO_A in invoke("status", "--vault", vault).stdout
    assert invoke(*ingest_args(vault, VIDEO_B, TRANSCRIPT_B)).exit_code == 0


@pytest.mark.parametrize("damage", ["lost", "corrupt", "the lexicon"])
def test_lost_or_damaged_derived_state_is_studied_again(vault: Path, damage: str) -> None:
    """What a video taught, and the lexicon, are derived: the next run rebuilds them,
    and writes the same notes."""
    state = vault / ".tubewiki"
    record = state / "learned" / f"{VIDEO_A}.json"
    kept = record.read_bytes()
    if damage == "lost":
        record.unlink()
    elif damage == "corrupt":
        record.write_text("{not json", "utf-8")
    else:
        (state / relink.LEXICON_FILE).write_bytes(b"\x80\x05[[1, 2")
    before = notes(vault)
    report = pipeline.ingest(
        Request(VIDEO_A, TRANSCRIPT_A, title=f"Talk {VIDEO_A}", channel=CHANNEL), vault, force=True
    )
    assert (report.created, report.updated, report.deleted) == ((), (), ())
    assert notes(vault) == before
    assert record.read_bytes() == kept


def test_doctor_moves_a_corrupt_cached_transcript_aside(vault: Path) -> None:
    cached = vault / ".tubewiki" / "transcripts" / f"{VIDEO_A}.json"
    cached.write_text("{not json", "utf-8")
    assert "cached transcript" in invoke("doctor", "--vault", vault).stdout
    repaired = invoke("doctor", "--repair", "--vault", vault)
    assert repaired.exit_code == 0, repaired.stdout
    assert not cached.exists() and list(cached.parent.glob("*.damaged-*"))


def test_a_full_ledger_at_the_commit_undoes_the_notes(
    vault: Path, plain_ingest: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite says "database or disk is full" as the run is settled: nothing stays half-done."""
    import sqlite3

    from tubewiki.ledger import Ledger, ledger_error

    real = Ledger.finish_run

    def full(self: Ledger, run_id: str, status: str, *args: Any, **kwargs: Any) -> None:
        if status == "ok":
            raise ledger_error(sqlite3.OperationalError("database or disk is full"), self.path)
        real(self, run_id, status, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Ledger, "finish_run", full)
    before = tree(vault)
    message = one_line_error(invoke(*ingest_args(vault, VIDEO_B, TRANSCRIPT_B)), 12)
    assert "database or disk is full" in message and "free some disk space" in message
    monkeypatch.undo()
    assert but_ledger(tree(vault)) == but_ledger(before)
    _no_leftovers(vault)
    invoke("runs", "--vault", vault)
    assert _settled(vault) == ["ok", "running"]  # read-only: `runs` does not settle it
    pipeline.recover(vault)  # any writing command settles it first
    assert _settled(vault) == ["ok", "rolled_back"]
    assert VIDEO_B not in invoke("status", "--vault", vault).stdout


def test_hostile_caption_text_is_made_safe(tmp_path: Path, plain_ingest: None) -> None:
    rows = json.loads(TRANSCRIPT_A.read_text("utf-8"))
    for n, row in enumerate(rows):
        row["text"] = row["text"].replace(" ", ["\x00 ", " \x07", "\x1b[31m ", " \u202e"][n % 4], 2)
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps(rows), "utf-8")
    vault = tmp_path / "vault"
    assert invoke(*ingest_args(vault, VIDEO_A, hostile)).exit_code == 0
    for path, data in notes(vault).items():
        assert not HOSTILE.search(data.decode("utf-8")), path
    check_notes(vault)


def test_prefect_s_report_of_a_dead_send_queue_is_silenced_and_nothing_else() -> None:
    """When the temporary server is gone before Prefect's events are sent, Prefect logs
    "Service 'EventsWorker' failed with N pending items" at exit: after our one-line
    error, that line is noise. Any other error of Prefect's still shows."""
    import logging

    from tubewiki.cli_common import _quiet_prefect

    _quiet_prefect()
    _quiet_prefect()  # every failing command calls it: one filter, however often
    services = logging.getLogger("prefect._internal.concurrency")
    seen: list[str] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    services.addHandler(handler)
    try:
        for service in ("EventsWorker", "APILogWorker", "SomeOtherService"):
            services.error("Service %r failed with %s pending items.", service, 10)
        services.error("the event loop thread crashed")
    finally:
        services.removeHandler(handler)
    assert seen == [
        "Service 'SomeOtherService' failed with 10 pending items.",
        "the event loop thread crashed",
    ]
    assert len(services.filters) == 1
