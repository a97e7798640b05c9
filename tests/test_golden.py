"""Hand-written transcripts render to the notes in tests/golden/, byte for byte.

A change to extraction or templates shows here as a diff a reviewer can read.
When the change is meant, refresh the files with `pytest tests/test_golden.py
--refresh-golden` and review `git diff tests/golden`. The README's excerpt is
one of these notes, so the README cannot drift from what tubewiki writes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.vaults import check_notes, snapshot
from tubewiki.pipeline import Request, ingest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
CASES = {
    "nvidia_story": Request(
        "NvidiaStory",
        transcript_file=ROOT / "examples" / "nvidia_story.json",
        title="How Nvidia bet on CUDA",
        channel="Tech Histories",
    ),
    "orbital_freight": Request(
        "OrbitalF_01",
        transcript_file=ROOT / "tests" / "fixtures" / "lifecycle" / "orbital_freight_story.json",
        title="The rise and stall of Orbital Freight",
        channel="Launch Ledger",
    ),
    "lecture": Request(
        "Lecture0001",
        transcript_file=ROOT / "tests" / "fixtures" / "transcripts" / "lecture.json",
        title="A short lecture",
        channel="Lecture Hall",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_notes_match_golden(case: str, tmp_vault: Path, refresh_golden: bool) -> None:
    ingest(CASES[case], tmp_vault)
    written = {path: data.decode() for path, data in snapshot(tmp_vault).items()}
    folder = GOLDEN / case
    if refresh_golden:
        for old in folder.rglob("*.md"):
            old.unlink()
        for path, text in written.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_text(text, encoding="utf-8")
    expected = {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*.md"))
    }
    assert sorted(written) == sorted(expected)
    for path, text in written.items():
        assert text == expected[path], f"{case}/{path} differs; refresh with --refresh-golden"
    check_notes(tmp_vault)


def test_readme_excerpt_is_real_output() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(
        r"An excerpt of what that writes, `notes/([^`]+)`:\n\n```markdown\n(.*?)```", readme, re.S
    )
    assert found, "the README lost its example excerpt"
    golden = (GOLDEN / "nvidia_story" / found[1]).read_text(encoding="utf-8")
    assert found[2] == re.sub(r"sha=[0-9a-f]+", "sha=…", golden)
