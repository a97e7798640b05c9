"""Helpers for tests that look at a whole vault: snapshots and the shared note checker."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tubewiki import pipeline
from tubewiki.pipeline import RunReport

# The workspace keeps `shared/` beside the repository; CI lays a copy there too.
SHARED = Path(__file__).resolve().parents[2] / "shared"
CHECK_NOTES = SHARED / "tools" / "check_notes.py"
_WIKILINK = re.compile(r"\[\[(.*?)\]\]", re.S)
# Caches derived from the notes and transcripts, which any command may refresh: they
# hold no content of the vault's own (the front matter index, the index of what
# videos say, spaCy's parses).
DERIVED = (
    ".tubewiki/index.sqlite",
    ".tubewiki/said.sqlite",
    ".tubewiki/parsed/",
    ".tubewiki/changes",
)


def snapshot(vault: Path) -> dict[str, bytes]:
    """Every note's bytes, by vault-relative path (tubewiki's state folder left out)."""
    return {
        p.relative_to(vault).as_posix(): p.read_bytes()
        for p in sorted(vault.rglob("*.md"))
        if ".tubewiki" not in p.relative_to(vault).parts
    }


def check_notes(vault: Path, *args: str) -> str:
    """Run the shared note checker and require 0 errors.

    Where `shared/` is absent the calling test is skipped, visibly, rather than
    passed: a check that did not run must not look like one that held.
    """
    if not CHECK_NOTES.is_file():
        pytest.skip(f"note checker not found at {CHECK_NOTES}")
    done = subprocess.run(
        [sys.executable, str(CHECK_NOTES), str(vault), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def dangling_links(vault: Path) -> list[str]:
    """Wikilinks whose target names no note, matched on the stem as Obsidian does."""

    def norm(name: str) -> str:
        return re.sub(r"[\s_\-]+", "_", name.strip().lower())

    stems = {norm(p.stem) for p in vault.rglob("*.md") if ".tubewiki" not in p.parts}
    missing = []
    for path in vault.rglob("*.md"):
        if ".tubewiki" in path.parts:
            continue
        for link in _WIKILINK.findall(path.read_text(encoding="utf-8")):
            target = link.split("|")[0].split("#")[0]
            if norm(target) not in stems:
                missing.append(f"{path.relative_to(vault).as_posix()} -> [[{link}]]")
    return missing


def rebuild(vault: Path) -> RunReport:
    """What the rebuild-vault flow does, without Prefect."""
    return pipeline.rebuild(vault)
