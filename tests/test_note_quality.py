"""benchmarks/note_quality.py measures what a reader would notice."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "note_quality.py"
A = '<a class="yt-timestamp" data-t="00:00:0{}">[00:00:0{}]</a>'


def load() -> object:
    spec = importlib.util.spec_from_file_location("note_quality", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["note_quality"] = module
    spec.loader.exec_module(module)
    return module


def note(folder: Path, name: str, front: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(f"---\n{front}\n---\n\n{body}\n", encoding="utf-8")


def test_figures_count_what_a_reader_would_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = "\n".join(
        [
            "- [[harlow_motors | Harlow Motors]] builds electric vans in Leeds "
            + A.format(1, 1)
            + ".",
            "- It was a great year for everyone " + A.format(2, 2) + ".",
            "- Thank you so much for being here today " + A.format(3, 3) + ".",
            "- This episode is brought to you by Acme " + A.format(4, 4) + ".",
            "- \\[Dana Whitfield\\] founded the company in 2017 " + A.format(5, 5) + ".",
            "Acme " + A.format(6, 6) + ": sponsor reads, left out of these notes.",
        ]
    )
    note(tmp_path / "ch", "vans", "title: Vans\nvideoId: abcdefghijk", video)
    described = (
        "<!-- tubewiki:begin intro sha=0 -->\n**Harlow Motors** builds vans "
        + A.format(1, 1)
        + ".\n<!-- tubewiki:end intro -->"
    )
    note(
        tmp_path / "entities",
        "harlow_motors",
        "title: Harlow Motors\ntubewiki: entity\ntype: ORG",
        described,
    )
    bare = (
        "<!-- tubewiki:begin intro sha=0 -->\n**Team member** comes up.\n"
        "<!-- tubewiki:end intro -->"
    )
    note(
        tmp_path / "entities",
        "team_member",
        "title: Team member\ntubewiki: entity\ntype: CONCEPT",
        bare,
    )
    assert load().main([str(tmp_path)]) == 0  # type: ignore[attr-defined]
    lines = capsys.readouterr().out.splitlines()
    # "It was ..." and "This episode ..." open on pronouns; the bracketed name does not
    assert lines[0] == "claims=6 pronoun_start=0.333 question=0.0 sponsor=0.167 greeting=0.167"
    assert lines[1] == "entities=2 generic=0.5 described=0.5"
    assert lines[2] == "generic titles: Team member"
