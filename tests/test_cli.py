"""The `tubewiki` command line, in process with Typer's CliRunner.

Bad input must give one line on stderr, the exit code the README documents, no
traceback and no file written. The happy path runs the real `ingest-video`
Prefect flow on a session-wide Prefect test server, and the YouTube path is
replayed through the real youtube-transcript-api with `responses`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner, Result

from tests.replay import register_video, replayed_youtube
from tests.vaults import DERIVED, check_notes, snapshot
from tubewiki.cli import app
from tubewiki.notes import parse_note

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FIXTURES = Path(__file__).parent / "fixtures" / "lifecycle"
TRANSCRIPT_A = FIXTURES / "orbital_freight_story.json"
TRANSCRIPT_B = FIXTURES / "rideshare_rivals.json"
VIDEO_A, VIDEO_B = "OrbitalA_01", "OrbitalB_02"
TITLE_A, TITLE_B = "How Orbital Freight ships satellites", "Rideshare rivals"
CHANNEL = "Launch Ledger"

# Wide enough that Rich never truncates a path or a run id in a table.
WIDE: dict[str, str | None] = {"COLUMNS": "200", "TUBEWIKI_VAULT": None}


# --- fixtures and helpers --------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _prefect_logs_outside_the_runner() -> None:
    """Configure Prefect's logging before any CliRunner swaps sys.stderr.

    Prefect binds its console log handler to whatever `sys.stderr` is when
    `prefect.main` is first imported. The CLI imports Prefect lazily inside a
    command, so under CliRunner that would be the runner's capture stream,
    closed after the first invoke, and every later Prefect log line would fail.
    """
    import flows  # noqa: F401  (analytics off before Prefect reads settings)

    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
    import prefect.main  # noqa: F401


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the fetch task's retries (and their count) but drop the backoff delays."""
    import flows.ingest

    monkeypatch.setattr(
        flows.ingest,
        "fetch_source",
        flows.ingest.fetch_source.with_options(retry_delay_seconds=0, retry_jitter_factor=None),
    )


def invoke(*args: str | Path, columns: int = 200) -> Result:
    runner = CliRunner(env={**WIDE, "COLUMNS": str(columns)})
    return runner.invoke(app, [str(a) for a in args])


def tree(path: Path) -> dict[str, bytes] | None:
    """Every file under `path` (state folder included, not derived caches) with its bytes;
    None if absent."""
    if not path.exists():
        return None
    if path.is_file():
        return {"": path.read_bytes()}
    return {
        rel: p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and not (rel := p.relative_to(path).as_posix()).startswith(DERIVED)
    }


def assert_one_line_error(result: Result, code: int, *, notices: int = 0) -> str:
    """Exit `code`, nothing on stdout, one `error: ...` line on stderr, no traceback.

    `notices` retry notices may come first (they are returned with the error line).
    """
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    *before, error = result.stderr.splitlines(keepends=True)
    assert len(before) == notices, result.stderr
    assert all("; retrying in about " in line for line in before), result.stderr
    assert error.startswith("error: "), result.stderr
    assert error.endswith("\n"), result.stderr
    return result.stderr


def snippets(path: Path) -> list[tuple[float, float, str]]:
    return [(s["start"], s["duration"], s["text"]) for s in json.loads(path.read_text())]


def run_ids(vault: Path) -> list[str]:
    from tubewiki import review

    return [r.run_id for r in review.runs(vault, 100)]


def ingest_args(vault: Path, video: str = VIDEO_A, transcript: Path = TRANSCRIPT_A) -> list:
    title = TITLE_A if video == VIDEO_A else TITLE_B
    return [
        "ingest", video, "--transcript", transcript, "--title", title,
        "--channel", CHANNEL, "--vault", vault,
    ]  # fmt: skip


# --- bad input: one line, the documented exit code, nothing written ------------------


def test_bad_video_id_exact_message(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    result = invoke("ingest", "hello", "--vault", vault)
    assert assert_one_line_error(result, 2) == (
        "error: not a YouTube video id or URL: 'hello' (pass an 11-character id like "
        "dQw4w9WgXcQ or a youtube.com / youtu.be link)\n"
    )
    assert not vault.exists()


@pytest.mark.parametrize(
    "video",
    ["hello", "https://vimeo.com/123", "https://www.youtube.com/watch?v=short", "OrbitalA_01x"],
)
def test_bad_video_ids_exit_2(tmp_path: Path, video: str) -> None:
    vault = tmp_path / "vault"
    message = assert_one_line_error(invoke("ingest", video, "--vault", vault), 2)
    assert video in message
    assert not vault.exists()


def _bad_transcripts(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, a word the error message must contain)."""
    folder.mkdir(exist_ok=True)
    empty = folder / "empty.json"
    empty.write_text("")
    corrupt = folder / "corrupt.json"
    corrupt.write_text('[{"text": "Orbital Freight was founded in 2017", "start": 0.0,')
    music = folder / "music.json"
    music.write_text(
        json.dumps(
            [
                {"text": "[Music]", "start": 0.0, "duration": 4.0},
                {"text": "[Applause]", "start": 4.0, "duration": 2.5},
                {"text": "[Music]", "start": 6.5, "duration": 3.0},
            ]
        )
    )
    not_a_list = folder / "object.json"
    not_a_list.write_text(json.dumps({"title": "Orbital Freight"}))
    return {
        "missing": (folder / "missing.json", "missing.json"),
        "empty": (empty, "empty"),
        "corrupt": (corrupt, "JSON"),
        "music": (music, "speech"),
        "object": (not_a_list, "object.json"),
    }


@pytest.mark.parametrize("case", ["missing", "empty", "corrupt", "music", "object"])
def test_bad_transcript_files_exit_3(prefect_harness: None, tmp_path: Path, case: str) -> None:
    path, word = _bad_transcripts(tmp_path / "in")[case]
    vault = tmp_path / "vault"
    message = assert_one_line_error(
        invoke("ingest", VIDEO_A, "--transcript", path, "--vault", vault), 3
    )
    assert path.name in message
    assert word in message
    assert not vault.exists(), "a failed ingest created the vault"


@pytest.mark.parametrize("case", ["missing", "corrupt", "music"])
def test_bad_transcript_leaves_an_existing_vault_unchanged(
    prefect_harness: None, tmp_path: Path, case: str
) -> None:
    path, _ = _bad_transcripts(tmp_path / "in")[case]
    vault = tmp_path / "vault"
    (vault / "mine").mkdir(parents=True)
    (vault / "mine" / "ideas.md").write_text("---\ntitle: Ideas\n---\n\nMy own note.\n")
    before = tree(vault)
    assert_one_line_error(invoke("ingest", VIDEO_A, "--transcript", path, "--vault", vault), 3)
    assert tree(vault) == before


def test_vault_that_is_a_file_exit_7(tmp_path: Path) -> None:
    vault = tmp_path / "vault.md"
    vault.write_text("not a folder\n")
    message = assert_one_line_error(
        invoke("ingest", VIDEO_A, "--transcript", TRANSCRIPT_A, "--vault", vault), 7
    )
    assert str(vault) in message and "folder" in message
    assert vault.read_text() == "not a folder\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vault.md"]


@pytest.mark.parametrize("command", [["runs"], ["review", "last"], ["revert", "last"]])
def test_other_commands_refuse_a_vault_that_is_a_file(tmp_path: Path, command: list[str]) -> None:
    vault = tmp_path / "vault"
    vault.write_text("x")
    assert_one_line_error(invoke(*command, "--vault", vault), 7)
    assert vault.read_text() == "x"


def test_unknown_run_exit_9(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    message = assert_one_line_error(invoke("revert", "nosuchrun", "--vault", vault), 9)
    assert "nosuchrun" in message


@pytest.mark.parametrize(
    "command", [["runs"], ["review", "last"], ["revert", "last"], ["resolve", "x"], ["rebuild"]]
)
def test_reading_a_missing_vault_creates_nothing(tmp_path: Path, command: list[str]) -> None:
    vault = tmp_path / "typo"
    message = assert_one_line_error(invoke(*command, "--vault", vault), 7)
    assert str(vault) in message
    assert not vault.exists()


def test_python_dash_m_runs_the_cli(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tubewiki.cli", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert "Usage: tubewiki" in done.stdout


def test_flows_apply_tubewikis_prefect_defaults() -> None:
    """What the CLI does before a flow run: the startup timeout must be tubewiki's 90 s."""
    module = "flows.ingest"  # flows.rebuild has the same import order
    code = (
        f"import {module}\n"
        "from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as s\n"
        "print(s.value())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DO_NOT_TRACK"))}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "90", f"{module} lets Prefect read its settings too early"


# --- the real flow ------------------------------------------------------------


@pytest.fixture(scope="module")
def corrupt_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A vault with A ingested, then one note's front matter broken by hand."""
    from tubewiki.pipeline import Request, ingest

    vault = tmp_path_factory.mktemp("corrupt") / "vault"
    ingest(Request(VIDEO_A, TRANSCRIPT_A, TITLE_A, CHANNEL), vault)
    note = vault / "entities" / "dana_whitfield.md"
    note.write_text(note.read_text().replace("type: PERSON", "type: [PERSON"), "utf-8")
    return vault


def _ingest_into_corrupt_vault(vault: Path, tmp_path: Path) -> tuple[Result, dict, dict]:
    work = tmp_path / "vault"
    shutil.copytree(vault, work)
    before = tree(work)
    result = invoke(*ingest_args(work, VIDEO_B, TRANSCRIPT_B))
    return result, before, tree(work)


def test_corrupt_note_is_named_and_no_note_changes(
    prefect_harness: None, corrupt_vault: Path, tmp_path: Path
) -> None:
    result, before, after = _ingest_into_corrupt_vault(corrupt_vault, tmp_path)
    message = assert_one_line_error(result, 7)
    assert "entities/dana_whitfield.md" in message
    assert "YAML" in message
    assert {k: v for k, v in after.items() if k.endswith(".md")} == {
        k: v for k, v in before.items() if k.endswith(".md")
    }
    changed = [k for k in before if after.get(k) != before[k]]
    assert changed == [], f"a failed ingest changed {changed}"


def test_corrupt_note_writes_no_file_at_all(
    prefect_harness: None, corrupt_vault: Path, tmp_path: Path
) -> None:
    result, before, after = _ingest_into_corrupt_vault(corrupt_vault, tmp_path)
    assert result.exit_code == 7
    assert sorted(set(after) - set(before)) == []


def test_review_colours_each_diff_line_on_a_terminal_and_nothing_else() -> None:
    import io

    from rich.console import Console

    from tubewiki.cli import print_diff

    diff = "--- a/x.md\n+++ b/x.md\n@@ -1,2 +1,2 @@\n-old [[ada | Ada]]\n+new\x07 line\n same\n"
    plain = io.StringIO()
    print_diff(Console(file=plain, force_terminal=False), diff)
    assert plain.getvalue() == diff.replace("\x07", "")  # no codes, and no bell either
    coloured = io.StringIO()
    print_diff(Console(file=coloured, force_terminal=True, color_system="standard"), diff)
    assert coloured.getvalue().splitlines() == [
        "\x1b[1m--- a/x.md\x1b[0m",
        "\x1b[1m+++ b/x.md\x1b[0m",
        "\x1b[36m@@ -1,2 +1,2 @@\x1b[0m",
        "\x1b[31m-old [[ada | Ada]]\x1b[0m",  # no Rich markup read into a note's text
        "\x1b[32m+new line\x1b[0m",
        " same",
    ]


def test_ingest_runs_review_revert(prefect_harness: None, tmp_path: Path) -> None:
    vault = tmp_path / "vault"

    first = invoke(*ingest_args(vault))
    assert first.exit_code == 0, first.stderr
    assert first.stderr == ""
    written = snapshot(vault)
    assert all(path.startswith(("entities/", "launch_ledger/")) for path in written), written
    assert "launch_ledger/how_orbital_freight_ships_satellites.md" in written
    assert "entities/dana_whitfield.md" in written
    (run_a,) = run_ids(vault)
    assert first.stdout.splitlines()[0].strip() == f"run {run_a}"
    for path in written:
        assert re.search(rf"│ {re.escape(path)} +│ created +│", first.stdout), path
    check_notes(vault)
    after_a = snapshot(vault)

    again = invoke(*ingest_args(vault))  # skipped before Prefect starts: no new run
    assert again.exit_code == 0, again.stderr
    assert again.stdout.startswith(f"{VIDEO_A}: already up to date: run {run_a} wrote it")
    assert snapshot(vault) == after_a and run_ids(vault) == [run_a]

    second = invoke(*ingest_args(vault, VIDEO_B, TRANSCRIPT_B))
    assert second.exit_code == 0, second.stderr
    assert re.search(r"│ entities/dana_whitfield\.md +│ updated +│", second.stdout)
    assert re.search(r"│ launch_ledger/rideshare_rivals\.md +│ created +│", second.stdout)
    run_b = run_ids(vault)[0]
    check_notes(vault)

    runs = invoke("runs", "--vault", vault)
    assert runs.exit_code == 0 and runs.stderr == ""
    rows = [line for line in runs.stdout.splitlines() if line.startswith("│ ")]
    assert len(rows) == 2
    assert rows[0].split("│")[1].strip() == run_b  # newest first
    assert rows[-1].split("│")[1].strip() == run_a
    assert all(" ingest " in row and " ok " in row for row in rows)

    review = invoke("review", "last", "--vault", vault)
    assert review.exit_code == 0, review.stderr
    assert review.stdout.startswith(f"run {run_b} (ingest, ok, ")
    assert "entities/dana_whitfield.md: updated" in review.stdout
    assert "launch_ledger/rideshare_rivals.md: created" in review.stdout
    assert "+++ b/entities/dana_whitfield.md" in review.stdout
    assert "+<!-- tubewiki:begin OrbitalB_02 sha=" in review.stdout

    review_a = invoke("review", run_a, "--vault", vault)
    assert review_a.exit_code == 0
    assert review_a.stdout.startswith(f"run {run_a} (ingest, ok, ")
    assert "--- /dev/null" in review_a.stdout

    revert = invoke("revert", "last", "--vault", vault)
    assert revert.exit_code == 0, revert.stderr
    assert re.search(r"│ launch_ledger/rideshare_rivals\.md +│ deleted +│", revert.stdout)
    assert snapshot(vault) == after_a

    again = invoke("revert", run_b, "--vault", vault)
    message = assert_one_line_error(again, 9)
    assert f"run {run_b} was already reverted" in message
    # B and its revert cancel out, so neither stands in the way of reverting A
    first_undone = invoke("revert", run_a[:15], "--vault", vault)
    assert first_undone.exit_code == 0, first_undone.stderr
    assert snapshot(vault) == {}


def test_runs_shows_whole_run_ids_on_an_80_column_terminal(
    prefect_harness: None, tmp_path: Path
) -> None:
    from tubewiki.pipeline import Request, ingest

    vault = tmp_path / "vault"
    ingest(Request(VIDEO_A, TRANSCRIPT_A, TITLE_A, CHANNEL), vault)
    result = invoke("runs", "--vault", vault, columns=80)
    assert result.exit_code == 0
    assert run_ids(vault)[0] in result.stdout


# --- fetching from YouTube (replayed) -----------------------------------------------


def test_fetch_from_youtube(prefect_harness: None, tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    with replayed_youtube() as rsps:
        register_video(
            rsps, VIDEO_A, title=TITLE_A, channel=CHANNEL, snippets=snippets(TRANSCRIPT_A)
        )
        result = invoke("ingest", f"https://youtu.be/{VIDEO_A}", "--vault", vault)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    video_note = vault / "launch_ledger" / "how_orbital_freight_ships_satellites.md"
    assert video_note.is_file()
    text = video_note.read_text()
    assert f"title: {TITLE_A}\n" in text and f"videoId: {VIDEO_A}\n" in text
    assert "transcript: manual (en)" in text
    assert (vault / "entities" / "orbital_freight.md").is_file()
    check_notes(vault)


@pytest.mark.parametrize(
    ("failure", "code", "words", "attempts"),
    [
        ("captions_disabled", 4, ["OrbitalA_01"], 1),  # permanent: never retried
        ("blocked", 5, ["OrbitalA_01", "proxy"], 5),  # transient: 1 try + 4 retries
        ("network_down", 6, ["OrbitalA_01", "internet"], 5),
    ],
)
def test_fetch_failures(
    prefect_harness: None,
    fast_retries: None,
    tmp_path: Path,
    failure: str,
    code: int,
    words: list[str],
    attempts: int,
) -> None:
    vault = tmp_path / "vault"
    with replayed_youtube() as rsps:
        register_video(
            rsps,
            VIDEO_A,
            title=TITLE_A,
            channel=CHANNEL,
            snippets=snippets(TRANSCRIPT_A),
            failure=failure,
        )
        result = invoke("ingest", VIDEO_A, "--vault", vault)
        watch_calls = [c for c in rsps.calls if "/watch?" in c.request.url]
    message = assert_one_line_error(result, code, notices=attempts - 1)
    for word in words:
        assert word in message
    assert len(watch_calls) == attempts
    reason = "refused the request" if failure == "blocked" else "did not answer"
    for attempt in range(2, attempts + 1):  # every wait is announced
        notice = f"fetch {VIDEO_A}: YouTube {reason}; retrying in about 0 s, attempt {attempt} of 5"
        assert notice in message
    assert snapshot(vault) == {}, "a failed fetch wrote notes"
    status = invoke("status", "--vault", vault)  # the failure is in the ledger
    assert status.exit_code == 0, status.stderr
    assert VIDEO_A in status.stdout and "failed_" in status.stdout


def test_watch_run_with_failed_feeds_exits_14_and_status_lists_them(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.watch
    from tubewiki import cli_common
    from tubewiki.watchlist import add_entry

    monkeypatch.setattr(cli_common.console, "width", 200)  # the table folds no feed ref
    monkeypatch.setattr(
        flows.watch,
        "fetch_entry_feed",
        flows.watch.fetch_entry_feed.with_options(retry_delay_seconds=0),
    )
    monkeypatch.setattr("flows.watch.rate_limit", lambda *args, **kwargs: None)
    watchlist, vault = tmp_path / "watchlist.yaml", tmp_path / "vault"
    for channel in ("UCwatchTestChannelAAAAAA", "UCwatchTestChannelBBBBBB"):
        add_entry(watchlist, channel, name=f"Feed {channel[-1]}")
    with replayed_youtube():  # offline: every request fails
        result = invoke("watch", "run", "--watchlist", watchlist, "--vault", vault)
    assert result.exit_code == 14, (result.stdout, result.stderr)
    assert "watch: 0 ingested, 2 failed" in result.stdout
    status = invoke("status", "--vault", vault)
    assert status.exit_code == 0, status.stderr
    assert "feeds that failed" in status.stdout
    assert "UCwatchTestChannelAAAAAA" in status.stdout and "Feed B" in status.stdout


# --- docs ------------------------------------------------------------------


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    # Typer vendors its own click, so test for a group by shape, not by class.
    if isinstance(getattr(group, "commands", None), dict):
        for name, command in sorted(group.commands.items()):
            yield from _commands(command, (*prefix, name))
    else:
        yield prefix, group


def _in_readme(readme: str, path: tuple[str, ...]) -> bool:
    if f"tubewiki {' '.join(path)}" in readme:
        return True
    if len(path) >= 2:  # `tubewiki watch add/remove/list/run`
        group, leaf = " ".join(path[:-1]), path[-1]
        pattern = rf"tubewiki {re.escape(group)} (?:[\w-]+/)*{re.escape(leaf)}(?![\w-])"
        return re.search(pattern, readme) is not None
    return False


def test_every_command_is_documented_and_has_help() -> None:
    readme = README.read_text(encoding="utf-8")
    root = typer.main.get_command(app)
    found = list(_commands(root))
    assert len(found) >= 8
    for path, command in found:
        name = " ".join(path)
        assert _in_readme(readme, path), f"`tubewiki {name}` is not in README.md"
        assert (command.help or "").strip(), f"`tubewiki {name}` has no help text"
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                assert (param.help or "").strip(), f"`tubewiki {name}` option {param.name}: no help"
        shown = invoke(*path, "--help")
        assert shown.exit_code == 0, shown.stderr
        assert command.help.strip().splitlines()[0][:40] in " ".join(shown.stdout.split())


def test_help_is_instant_and_lists_every_command() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for name in typer.main.get_command(app).commands:
        assert re.search(rf"│ {re.escape(name)} ", result.stdout), name


# --- video ids that begin with "-" ------------------------------------------------

DASHED = "-kHkWgjGD7U"


def test_an_id_that_begins_with_a_dash_ingests_as_argument_or_option(
    prefect_harness: None, tmp_path: Path
) -> None:
    for form in ([DASHED], ["--video", DASHED], [f"--video={DASHED}"]):
        vault = tmp_path / form[0].lstrip("-").split("=")[0]
        result = invoke(
            "ingest", *form, "--transcript", TRANSCRIPT_A, "--title", TITLE_A,
            "--channel", CHANNEL, "--vault", vault, "-l", "en",
        )  # fmt: skip
        assert result.exit_code == 0, (form, result.stdout, result.stderr)
        rel = "launch_ledger/how_orbital_freight_ships_satellites.md"
        assert parse_note(rel, (vault / rel).read_text()).meta["videoId"] == DASHED


@pytest.mark.parametrize("video", ["-vkHkWgjGD7", "-lkHkWgjGD7", "--kHkWgjGD7"])
def test_a_dashed_id_is_never_read_as_short_options(
    prefect_harness: None, tmp_path: Path, video: str
) -> None:
    missing = tmp_path / "missing.json"
    message = assert_one_line_error(
        invoke("ingest", video, "--transcript", missing, "--vault", tmp_path / "v"), 3
    )
    assert "missing.json" in message  # the id was taken: the run got as far as the file


@pytest.mark.parametrize("video", ["-kHk", "-kHkWgjGD7U0"])
def test_an_unusable_dashed_word_names_both_forms(tmp_path: Path, video: str) -> None:
    message = assert_one_line_error(invoke("ingest", video, "--vault", tmp_path / "v"), 2)
    assert repr(video) in message
    assert "tubewiki ingest -kHkWgjGD7U" in message and "--video=-kHkWgjGD7U" in message
    assert not (tmp_path / "v").exists()


def test_ingest_needs_exactly_one_video(tmp_path: Path) -> None:
    assert "no video given" in assert_one_line_error(invoke("ingest", "--vault", tmp_path), 2)
    both = invoke("ingest", VIDEO_A, "--video", VIDEO_B, "--vault", tmp_path)
    assert "two videos given" in assert_one_line_error(both, 2)


# --- proxies --------------------------------------------------------------------------


def test_a_typed_proxy_beats_webshare_credentials_in_the_environment(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tubewiki.pipeline
    from tubewiki.errors import TranscriptUnavailableError
    from tubewiki.youtube import ProxySettings

    monkeypatch.setenv("TUBEWIKI_WEBSHARE_USERNAME", "from-env")
    monkeypatch.setenv("TUBEWIKI_WEBSHARE_PASSWORD", "env-secret")
    for var in ("TUBEWIKI_PROXY_HTTP", "TUBEWIKI_PROXY_HTTPS"):
        monkeypatch.delenv(var, raising=False)  # restored after the test, like the two above
    used: list[ProxySettings | None] = []

    def fetch(video_id: str, languages: object, *, proxy: ProxySettings | None) -> None:
        used.append(proxy)
        raise TranscriptUnavailableError(f"{video_id}: no transcript (test)")

    monkeypatch.setattr(tubewiki.pipeline, "fetch_transcript", fetch)
    typed = "http://proxy.test:3128"
    result = invoke("ingest", VIDEO_A, "--proxy-http", typed, "--vault", tmp_path / "v")
    assert_one_line_error(result, 4)
    assert used == [ProxySettings(http_url=typed)]


def test_rebuild_shows_each_video_as_a_plain_line_off_a_terminal(
    prefect_harness: None, tmp_path: Path
) -> None:
    from tubewiki.pipeline import Request, ingest

    vault = tmp_path / "vault"
    ingest(Request(VIDEO_A, TRANSCRIPT_A, TITLE_A, CHANNEL), vault)
    ingest(Request(VIDEO_B, TRANSCRIPT_B, TITLE_B, CHANNEL), vault)
    result = invoke("rebuild", "--vault", vault)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (f"rebuild: 1/2 {VIDEO_A} analysed\nrebuild: 2/2 {VIDEO_B} analysed\n")
