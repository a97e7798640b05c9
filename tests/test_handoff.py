"""Which commands the warm runner takes, and which it declines (`tubewiki.handoff`,
`flows.runner`). The runner serving real commands is in `test_server.py`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flows import runner as runner_module
from flows.runner import Runner
from tubewiki import handoff
from tubewiki.handoff import code_stamp, hand_off, runner_socket, wants_own_process

API = "http://127.0.0.1:4999/api"


def test_only_flow_commands_without_verbose_or_help_are_handed_over() -> None:
    assert not wants_own_process(["ingest", "dQw4w9WgXcQ"])
    assert not wants_own_process(["backfill", "folder"])
    assert not wants_own_process(["rebuild"])
    assert wants_own_process([])
    assert wants_own_process(["runs"])
    assert wants_own_process(["server", "status"])
    assert wants_own_process(["ingest", "dQw4w9WgXcQ", "--verbose"])
    assert wants_own_process(["ingest", "-v", "dQw4w9WgXcQ"])
    assert wants_own_process(["ingest", "--help"])


def test_without_a_runner_the_command_runs_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUBEWIKI_STATE_DIR", str(tmp_path))
    assert hand_off(["ingest", "dQw4w9WgXcQ"]) is None
    (tmp_path / "runner.sock").write_text("a stale file, not a socket")
    assert hand_off(["ingest", "dQw4w9WgXcQ"]) is None


def test_a_state_folder_too_deep_for_a_socket_puts_it_in_the_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUBEWIKI_STATE_DIR", str(tmp_path / "state"))
    assert runner_socket() == tmp_path / "state" / "runner.sock"
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    monkeypatch.setenv("TUBEWIKI_STATE_DIR", str(deep))
    path = runner_socket()
    assert len(os.fsencode(path)) <= handoff.MAX_SOCKET_PATH
    assert path.parent != deep
    monkeypatch.setenv("TUBEWIKI_STATE_DIR", str(deep / "other"))
    assert runner_socket() != path  # each state folder has its own runner


def test_the_code_stamp_follows_the_code_and_the_installed_distributions(
    tmp_path: Path,
) -> None:
    code, site = tmp_path / "code", tmp_path / "site"
    code.mkdir()
    site.mkdir()
    module = code / "module.py"
    module.write_text("A = 1\n")
    (code / "__pycache__").mkdir()

    def stamp() -> str:
        return code_stamp([code], [str(site)])

    first = stamp()
    assert stamp() == first
    (code / "__pycache__" / "module.cpython-311.pyc").write_bytes(b"compiled")
    assert stamp() == first  # compiling changes nothing
    module.write_text("A = 22\n")
    edited = stamp()
    assert edited != first
    (site / "spacy-3.8.0.dist-info").mkdir()
    assert stamp() != edited
    assert code_stamp([code], [str(site), str(tmp_path / "missing")]) == stamp()


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runner:
    for key in [k for k in os.environ if k.startswith("PREFECT_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    return Runner(tmp_path / "runner.sock", API)


def request(env: dict[str, str], code: str | None = None) -> dict[str, object]:
    return {"argv": ["ingest"], "env": env, "cwd": "/", "code": code or code_stamp()}


def test_the_runner_declines_other_code_and_says_how_to_restart_it(runner: Runner) -> None:
    reason, notice = runner._declined(request(dict(os.environ), code="0" * 16))
    assert notice and "tubewiki server stop" in reason and str(runner.pid) in reason


def test_the_runner_declines_other_prefect_settings_quietly(runner: Runner) -> None:
    env = dict(os.environ)
    for other in (
        {"PREFECT_LOGGING_LEVEL": "DEBUG"},
        {"PREFECT_API_URL": "http://127.0.0.1:1/api"},
        {"PREFECT_PROFILE": "elsewhere"},
    ):
        reason, notice = runner._declined(request({**env, **other}))
        assert reason and not notice, other


def test_the_runner_declines_a_profile_that_names_another_api(
    runner: Runner, tmp_path: Path
) -> None:
    profiles = tmp_path / "prefect" / "profiles.toml"
    profiles.parent.mkdir()
    profiles.write_text('active = "cloud"\n[profiles.cloud]\nPREFECT_API_URL = "https://x/api"\n')
    reason, notice = runner._declined(request(dict(os.environ)))
    assert "another Prefect API" in reason and not notice


def test_the_runner_takes_a_matching_command_only_while_its_server_answers(
    runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: list[str] = []
    monkeypatch.setattr(runner_module, "healthy", lambda url: answers.append(url) or False)
    reason, _ = runner._declined(request(dict(os.environ)))
    assert "does not answer" in reason and answers == [API]
    monkeypatch.setattr(runner_module, "healthy", lambda url: True)
    same_url = {**os.environ, "PREFECT_API_URL": API}
    assert runner._declined(request(dict(os.environ))) == ("", False)
    assert runner._declined(request(same_url)) == ("", False)
